/*
 * A signal is decoded before any handler sees it. A payload the data converter cannot read (invalid
 * JSON, an unknown encoding), sent by a foreign client or by hand, makes the SDK fail the workflow
 * task on every retry: the release stalls and even `status` stops answering. This codec, run by the
 * worker before the workflow sees a payload, turns such a payload into a readable string that says
 * what was wrong; the handlers treat it as the malformed payload it is (recorded, then ignored or
 * handled as far as the signal's name goes).
 */
import type { Payload, PayloadCodec } from '@temporalio/common';

/** The encodings of Temporal's default payload converter. */
const READABLE_ENCODINGS = new Set(['binary/null', 'binary/plain', 'json/plain']);

const utf8 = new TextDecoder();
const bytes = (text: string) => new TextEncoder().encode(text);

/** Why the default converter could not decode `payload`, or null when it can. */
export function undecodableReason(payload: Payload): string | null {
  const encoding = payload.metadata?.encoding ? utf8.decode(payload.metadata.encoding) : '';
  if (!encoding) return 'no encoding in its metadata';
  if (!READABLE_ENCODINGS.has(encoding)) return `unknown encoding ${encoding.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}`;
  if (encoding === 'json/plain') {
    try {
      JSON.parse(utf8.decode(payload.data ?? new Uint8Array()));
    } catch (error) {
      return `not valid JSON (${(error as Error).message})`;
    }
  }
  return null;
}

/** Encodes nothing (clients need no codec); decodes every payload into one the converter can read. */
export class TolerantPayloadCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const reason = undecodableReason(payload);
      if (reason === null) return payload;
      return { metadata: { encoding: bytes('json/plain') }, data: bytes(JSON.stringify(`undecodable payload: ${reason}`)) };
    });
  }
}
