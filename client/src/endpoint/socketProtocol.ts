/**
 * MLboard's websocket protocol (docs/mlgym.md §3.4) on a socket.io server, default namespace:
 * - `join {client_id?, rooms}`: per room, create `<room>/event_storage.log` if missing, join, log a
 *   `server_log_message`, and replay the room's history to the joining client as `batched_events`;
 * - `mlgym_event {event_type, creation_ts, payload}`: stored types are appended to the log of
 *   `payload.grid_search_id` and broadcast to that room as `{event_id, data}`; other types are dropped;
 * - `ping` -> `pong`; `leave` disconnects.
 * Unlike MLboard, a joining client gets the history in order and without gaps or duplicates: it joins the
 * room only once its replay has caught up with the log (appends are synchronous, so nothing can land
 * between the last check and the join).
 */
import type { Server, Socket } from 'socket.io';
import { RoomLogs, STORED_EVENT_TYPES, type WireEvent } from './roomLogs';
import { isPlainName } from './safePath';

export interface ProtocolOptions {
  /** Events per `batched_events` history message. */
  historyBatch?: number;
  /** Rooms one `join` may name (default DEFAULT_MAX_ROOMS_PER_JOIN); a join naming more is refused whole. */
  maxRoomsPerJoin?: number;
  log?: (line: string) => void;
}

export interface ProtocolStats {
  stored: number;
  dropped: number;
  rejected: number;
  joins: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Each room is a folder and an open log file, so one message naming thousands would create as many. MLgym's
 * publisher joins 2 rooms and MLboard's frontend 1.
 */
export const DEFAULT_MAX_ROOMS_PER_JOIN = 16;

export function attachProtocol(io: Server, logs: RoomLogs, options: ProtocolOptions = {}): ProtocolStats {
  const batchSize = options.historyBatch ?? 1000;
  const maxRooms = options.maxRoomsPerJoin ?? DEFAULT_MAX_ROOMS_PER_JOIN;
  const log = options.log ?? (() => undefined);
  const stats: ProtocolStats = { stored: 0, dropped: 0, rejected: 0, joins: 0 };

  async function replayThenJoin(socket: Socket, room: string): Promise<void> {
    let from = { lines: 0, bytes: 0 };
    for (;;) {
      const to = logs.position(room);
      if (to.bytes <= from.bytes || socket.disconnected) {
        void socket.join(room);
        // Not in MLboard, harmless to its clients (a free-form log line): tells a client the history is in.
        socket.emit('server_log_message', `Replayed ${from.lines} events of room ${room}; live events follow.`);
        return;
      }
      await logs.replay(room, from, to, batchSize, (events: WireEvent[]) => {
        socket.emit('mlgym_event', { event_id: 'batched_events', data: events });
      });
      from = to;
    }
  }

  io.on('connection', (socket) => {
    socket.on('join', (data: unknown) => {
      if (!isRecord(data) || !Array.isArray(data.rooms)) {
        socket.emit('server_log_message', 'join needs {"rooms": [...]}');
        return;
      }
      const clientId = typeof data.client_id === 'string' ? data.client_id : '<unknown>';
      if (data.rooms.length > maxRooms) {
        stats.rejected++;
        log(`Refused a join of ${data.rooms.length} rooms from client ${clientId} (${socket.id}): at most ${maxRooms}.`);
        socket.emit('server_log_message', `Refused the join: ${data.rooms.length} rooms, at most ${maxRooms} per join.`);
        return;
      }
      const rooms: string[] = [];
      for (const room of data.rooms) {
        if (typeof room !== 'string' || !isPlainName(room)) {
          stats.rejected++;
          socket.emit('server_log_message', `Refused room ${JSON.stringify(room)}: not a folder name inside the event storage.`);
          continue;
        }
        try {
          logs.open(room);
          rooms.push(room);
        } catch (err) {
          stats.rejected++;
          socket.emit('server_log_message', `Refused room ${room}: ${(err as Error).message}`);
        }
      }
      stats.joins++;
      log(`Client ${clientId} (${socket.id}) joins rooms: ${rooms.join(', ')}`);
      socket.emit('server_log_message', `Client ${clientId} joined rooms: ${rooms.join(', ')}`);
      // One room after the other, so a client's history arrives room by room.
      void (async () => {
        for (const room of rooms) {
          try {
            await replayThenJoin(socket, room);
          } catch (err) {
            socket.emit('server_log_message', `Could not replay room ${room}: ${(err as Error).message}`);
          }
        }
      })();
    });

    socket.on('mlgym_event', (event: unknown) => {
      const payload = isRecord(event) && isRecord(event.payload) ? event.payload : undefined;
      const type = isRecord(event) ? event.event_type : undefined;
      const gs = payload?.grid_search_id;
      if (typeof type !== 'string' || typeof gs !== 'string') {
        stats.rejected++;
        socket.emit('server_log_message', 'mlgym_event needs event_type and payload.grid_search_id');
        return;
      }
      if (!STORED_EVENT_TYPES.has(type)) {
        stats.dropped++;
        log(`Dropped mlgym_event of unsupported type ${type} (MLboard stores only ${[...STORED_EVENT_TYPES].join(', ')}).`);
        return;
      }
      if (!isPlainName(gs)) {
        stats.rejected++;
        socket.emit('server_log_message', `Refused grid_search_id ${JSON.stringify(gs)}: not a folder name inside the event storage.`);
        return;
      }
      let eventId: number;
      try {
        eventId = logs.append(gs, event);
      } catch (err) {
        stats.rejected++;
        socket.emit('server_log_message', `Could not store the event: ${(err as Error).message}`);
        return;
      }
      stats.stored++;
      io.to(gs).emit('mlgym_event', { event_id: eventId, data: event });
    });

    socket.on('ping', () => socket.emit('pong'));
    socket.on('leave', () => {
      socket.emit('server_log_message', 'You are now disconnected.');
      socket.disconnect(true);
    });
  });
  return stats;
}
