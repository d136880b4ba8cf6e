// attestation.loadMetadata: a FIDO MDS3 BLOB replaced at run time, verified before use. What the
// core accepts and refuses is tested in Rust (core/tests/attestation_policy.rs, with BLOBs it
// signs); here: the call reaches the core and its refusals arrive as KavachError.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createKavach, KavachError } from 'kavachos';
import { options } from './helpers/config.mjs';

const kavach = await createKavach(options());

test('loadMetadata refuses what does not verify against the FIDO root', async () => {
  for (const blob of ['not a BLOB', Buffer.from('eyJhbGciOiJFUzI1NiJ9.e30.AAAA')]) {
    await assert.rejects(kavach.attestation.loadMetadata(blob), (err) => {
      assert.ok(err instanceof KavachError);
      assert.equal(err.code, 'INVALID_REQUEST');
      assert.equal(err.status, 400);
      return true;
    });
  }
  await assert.rejects(kavach.attestation.loadMetadata(42), (err) => err.code === 'INVALID_REQUEST');
});
