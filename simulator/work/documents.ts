// POST …/folders/{id}/documents: multipart with a `profile` part and a `file` part
// (assumption: upload-document).
import { ApiError } from '../errors.ts';
import { parseMultipart } from '../http/body.ts';
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import { addDocument } from '../state/library.ts';
import { libraryOf, type Caller } from './auth.ts';
import { folderIn } from './lookup.ts';
import { documentJson } from './render.ts';

export async function uploadDocument(ctx: RequestContext, caller: Caller): Promise<Reply> {
  const library = libraryOf(caller, ctx.params['lib']);
  const folder = folderIn(library, ctx.params['id']);
  const contentType = ctx.req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, 'INVALID_PARAMETER', 'upload a document as multipart/form-data (profile + file)');
  }
  const form = await parseMultipart(await ctx.body(), contentType);
  const file = form.get('file');
  if (!(file instanceof File)) throw invalidProfile('file', 'a file part is required');
  const profile = await readProfile(form.get('profile'));
  const [baseName, fileExtension] = splitName(file.name);
  const name = stringField(profile, 'name') ?? stringField(profile, 'comment') ?? baseName;
  if (name === '') throw invalidProfile('name', 'name is required');
  const callerId = caller.customer.users.get(caller.principal.username)?.id ?? caller.principal.username.toUpperCase();
  const type = stringField(profile, 'type');
  const doc = addDocument(
    library,
    folder,
    {
      name,
      extension: stringField(profile, 'extension') ?? fileExtension,
      author: stringField(profile, 'author') ?? callerId,
      content: Buffer.from(await file.arrayBuffer()),
      ...(type === undefined ? {} : { type }),
    },
    ctx.world.clock.now(),
  );
  return json(201, { data: documentJson(doc) });
}

async function readProfile(part: ReturnType<FormData['get']>): Promise<Record<string, unknown>> {
  if (part === null) return {};
  const text = typeof part === 'string' ? part : await part.text();
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw invalidProfile('profile', 'profile must be a JSON object');
}

function stringField(profile: Record<string, unknown>, key: string): string | undefined {
  const value = profile[key];
  return typeof value === 'string' ? value : undefined;
}

function splitName(fileName: string): [string, string] {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? [fileName.slice(0, dot), fileName.slice(dot + 1)] : [fileName, ''];
}

/** The documented example error [C, Power Platform connector]. */
function invalidProfile(field: string, message: string): ApiError {
  return new ApiError(400, 'NRC_INVALID_PROFILE', 'Document profile is invalid', {
    messages: [{ field, code: 'required', code_message: message }],
  });
}
