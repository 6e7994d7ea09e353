// Request bodies: form-encoded (OAuth), JSON (Work API) and multipart (document upload).
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors.ts';

/** Uploads are test documents; a cap keeps a runaway client from filling memory. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'INVALID_PARAMETER', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseForm(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString('utf8'));
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new ApiError(400, 'INVALID_PARAMETER', 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'INVALID_PARAMETER', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The WHATWG parser behind `Response.formData()` reads multipart without a dependency. */
export async function parseMultipart(body: Buffer, contentType: string): Promise<FormData> {
  try {
    return await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ApiError(400, 'INVALID_PARAMETER', 'request body is not valid multipart/form-data');
  }
}
