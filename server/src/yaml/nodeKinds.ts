/**
 * The `yaml` node-kind checks, read once. The bundler imports the (CommonJS) `yaml` package through an
 * object whose every export is a getter, so each `isMap(x)` written against the package is a getter call
 * and a keyed lookup: on a 5,000-line manifest, whose every node goes through these checks several times,
 * that showed in profiles. Bound here at load, they are plain function calls.
 */
import * as yaml from 'yaml';

export const isAlias: typeof yaml.isAlias = yaml.isAlias;
export const isMap: typeof yaml.isMap = yaml.isMap;
export const isPair: typeof yaml.isPair = yaml.isPair;
export const isScalar: typeof yaml.isScalar = yaml.isScalar;
export const isSeq: typeof yaml.isSeq = yaml.isSeq;
