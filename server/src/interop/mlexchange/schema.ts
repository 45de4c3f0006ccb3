/**
 * MLExchange's own JSON Schemas for uploaded entries (schemas/mlexchange/, copied byte for byte from
 * mlexchange/mlex_content_registry at 7d882cf, see SOURCES.tsv): draft 2020-12, as the registry's "Validate"
 * button checks an upload with `jsonschema`. Versions disagree on the required fields (before 2039baf a model
 * needed `model_name` and `user`, since then `content_type` and `name`); this is the newest. The schema accepts
 * almost anything else, which is why export is also checked by re-import and by the job command line
 * (docs/interop.md §1.7). Compiled once, on first use.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import modelSchema from '../../../../schemas/mlexchange/model_schema.json';
import appSchema from '../../../../schemas/mlexchange/app_schema.json';
import { toPlain } from '../pyValues';

export const SCHEMA_SOURCE = 'mlexchange/mlex_content_registry@7d882cf content-regist/data';

let validators: { model: ValidateFunction; app: ValidateFunction } | undefined;

function compile(): { model: ValidateFunction; app: ValidateFunction } {
  if (!validators) {
    // strict off: the schemas are MLExchange's, as they are (their `$id` is the same placeholder URL).
    const model = new Ajv2020({ strict: false, allErrors: true }).compile(modelSchema as object);
    const app = new Ajv2020({ strict: false, allErrors: true }).compile(appSchema as object);
    validators = { model, app };
  }
  return validators;
}

/** What MLExchange's validation finds in an entry: one sentence per problem (empty: valid). */
export function validateEntry(entry: unknown, contentType: 'model' | 'app'): { schema: string; problems: string[] } {
  const v = compile()[contentType];
  const ok = v(toPlain(entry));
  const problems = ok ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '(the entry)'} ${e.message ?? 'is invalid'}`);
  return { schema: `${SCHEMA_SOURCE}/${contentType}_schema.json`, problems };
}
