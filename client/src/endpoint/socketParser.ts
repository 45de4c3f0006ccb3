/**
 * socket.io's packet parser with Python's JSON reading (pythonJson.ts) for what clients send: python-socketio
 * writes its payloads with `json.dumps`, so an MLgym event may hold `NaN`/`Infinity` (a diverged loss), whole
 * floats (`1.0`) and ints past 2**53. The default decoder's JSON.parse would refuse the first (and drop the
 * client) and lose the others, so the stored line would not be the one MLboard writes.
 * Everything else is socket.io-parser's: its Encoder (what the endpoint sends is plain JSON) and its Decoder,
 * whose one JSON step (`tryParse`, a method of the class though not in its typings) is replaced here; the
 * endpoint tier's socket tests fail if a socket.io-parser release changes that.
 */
import { Decoder, Encoder } from 'socket.io-parser';
import { parsePythonJson } from '../../../shared/python-json';

class PythonJsonDecoder extends Decoder {}

Object.defineProperty(PythonJsonDecoder.prototype, 'tryParse', {
  value(text: string): unknown {
    try {
      return parsePythonJson(text);
    } catch {
      return false;
    }
  },
});

/** The `parser` option of socket.io's Server. */
export const pythonJsonParser = { Encoder, Decoder: PythonJsonDecoder };
