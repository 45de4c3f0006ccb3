#!/bin/sh
# The demo cube's task. mlcube runs the image with `train --config=... --model_dir=... --event_storage=...`.
# It "trains" for `epochs` epochs and appends MLgym events (docs/mlgym.md §3.2–3.3) to
# <event_storage>/<grid_search_id>/event_storage.log while it runs, as an MLgym run would.
set -e
task="$1"
[ "$task" = train ] || { echo "hello-cube: unknown task '$task' (this cube has one task: train)" >&2; exit 2; }
shift
for a in "$@"; do
  case "$a" in
    --config=*) config="${a#--config=}" ;;
    --model_dir=*) model_dir="${a#--model_dir=}" ;;
    --event_storage=*) events="${a#--event_storage=}" ;;
  esac
done
epochs=$(sed -n 's/^epochs: *\([0-9][0-9]*\).*/\1/p' "$config" 2>/dev/null)
epochs=${epochs:-3}
delay=$(sed -n 's/^delay_seconds: *\([0-9.][0-9.]*\).*/\1/p' "$config" 2>/dev/null)
delay=${delay:-1}

gsid=$(date -u +%Y-%m-%d--%H-%M-%S)
dir="$events/$gsid"
mkdir -p "$dir" "$model_dir"
log="$dir/event_storage.log"
n=0
# creation_ts: microseconds since the epoch; busybox's date has no %N, so a counter keeps them increasing.
emit() {
  n=$((n + 1))
  echo "{\"event_type\": \"$1\", \"creation_ts\": $(( $(date +%s) * 1000000 + n )), \"payload\": $2}" >> "$log"
}
head="\"grid_search_id\": \"$gsid\", \"experiment_id\": 0"

echo "hello-cube: training for $epochs epochs; events in $log"
emit experiment_config "{$head, \"job_id\": 0, \"config\": {\"model\": {\"component_type_key\": \"MODEL\", \"variant_key\": \"HELLO\", \"config\": {\"epochs\": $epochs}}}}"
e=0
while [ "$e" -lt "$epochs" ]; do
  for b in 0 5; do
    emit experiment_status "{$head, \"status\": \"train\", \"num_epochs\": $epochs, \"current_epoch\": $e, \"splits\": [\"train\"], \"current_split\": \"train\", \"num_batches\": 10, \"current_batch\": $b}"
    sleep "$delay"
  done
  emit experiment_status "{$head, \"status\": \"evaluation\", \"num_epochs\": $epochs, \"current_epoch\": $e, \"splits\": [\"val\"], \"current_split\": \"val\", \"num_batches\": 10, \"current_batch\": 10}"
  f1="0.$(( 50 + 45 * (e + 1) / epochs ))"
  loss="1.$(( 90 - 80 * (e + 1) / epochs ))"
  emit evaluation_result "{$head, \"epoch\": $e, \"metric_scores\": [{\"metric\": \"F1_SCORE_macro\", \"split\": \"val\", \"score\": $f1}], \"loss_scores\": [{\"loss\": \"cross_entropy_loss\", \"split\": \"val\", \"score\": $loss}]}"
  echo "epoch $((e + 1))/$epochs: val F1_SCORE_macro $f1, cross_entropy_loss $loss"
  e=$((e + 1))
done
echo "hello-cube model, trained for $epochs epochs (final F1 $f1)" > "$model_dir/model.txt"
echo "hello-cube: done; model in $model_dir/model.txt"
