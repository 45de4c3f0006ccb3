"""MLgym's event log (event_storage/<grid_search_id>/event_storage.log, one JSON event a line, docs/mlgym.md
§3.2-3.3), appended as a run goes, so CubeLab's Metrics panel, Experiments view and model card show it live."""
import json
import os
import time


class EventLog:
    def __init__(self, storage, experiment_id=0):
        self.gsid = time.strftime('%Y-%m-%d--%H-%M-%S', time.gmtime())
        self.experiment_id = experiment_id
        self.dir = os.path.join(storage, self.gsid)
        os.makedirs(os.path.join(self.dir, str(experiment_id)), exist_ok=True)
        self.path = os.path.join(self.dir, 'event_storage.log')
        print(f'events: {self.path}', flush=True)

    def _emit(self, event_type, payload):
        payload = {'grid_search_id': self.gsid, 'experiment_id': self.experiment_id, **payload}
        line = json.dumps({'event_type': event_type, 'creation_ts': time.time_ns() // 1000, 'payload': payload})
        with open(self.path, 'a') as f:
            f.write(line + '\n')

    def config(self, config):
        with open(os.path.join(self.dir, str(self.experiment_id), 'experiment_config.json'), 'w') as f:
            json.dump(config, f, indent=2)
        self._emit('experiment_config', {'job_id': 0, 'config': config})

    def status(self, status, epoch, epochs, split):
        self._emit('experiment_status', {'status': status, 'num_epochs': epochs, 'current_epoch': epoch,
                                         'splits': [split], 'current_split': split, 'num_batches': 1, 'current_batch': 1 if status == 'evaluation' else 0})

    def result(self, epoch, metric_scores, loss_scores):
        self._emit('evaluation_result', {'epoch': epoch, 'metric_scores': metric_scores, 'loss_scores': loss_scores})
