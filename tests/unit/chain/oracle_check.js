// Verifies envelopes written by oracle_gen with @stellar/stellar-base: the
// hash, the signature, byte-identical re-encoding and the arguments.
// Usage: node oracle_check.js FILE.jsonl   (NODE_PATH holds the package)
'use strict';
const fs = require('fs');
const { TransactionBuilder, FeeBumpTransaction, Keypair, Address, scValToBigInt } = require('@stellar/stellar-base');

const PASSPHRASE = 'Test SDF Network ; September 2015';

function canon(v) {
  switch (v.switch().name) {
    case 'scvBool': return { t: 'bool', v: v.b() };
    case 'scvVoid': return { t: 'void', v: null };
    case 'scvU32': return { t: 'u32', v: String(v.u32()) };
    case 'scvI32': return { t: 'i32', v: String(v.i32()) };
    case 'scvU64': return { t: 'u64', v: v.u64().toString() };
    case 'scvI64': return { t: 'i64', v: v.i64().toString() };
    case 'scvTimepoint': return { t: 'timepoint', v: v.timepoint().toString() };
    case 'scvDuration': return { t: 'duration', v: v.duration().toString() };
    case 'scvU128': return { t: 'u128', v: scValToBigInt(v).toString() };
    case 'scvI128': return { t: 'i128', v: scValToBigInt(v).toString() };
    case 'scvBytes': return { t: 'bytes', v: Buffer.from(v.bytes()).toString('hex') };
    case 'scvString': return { t: 'string', v: v.str().toString() };
    case 'scvSymbol': return { t: 'symbol', v: v.sym().toString() };
    case 'scvAddress': return { t: 'address', v: Address.fromScAddress(v.address()).toString() };
    case 'scvVec': return { t: 'vec', v: (v.vec() || []).map(canon) };
    case 'scvMap': return { t: 'map', v: (v.map() || []).map((e) => [canon(e.key()), canon(e.val())]) };
    default: throw new Error('unexpected SCVal ' + v.switch().name);
  }
}

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
let failures = 0;
const fail = (i, what) => { failures++; if (failures <= 20) console.error(`envelope ${i}: ${what}`); };
lines.forEach((line, i) => {
  const c = JSON.parse(line);
  let tx;
  try {
    tx = TransactionBuilder.fromXDR(c.envelope, PASSPHRASE);
  } catch (e) {
    return fail(i, 'stellar-base cannot decode it: ' + e.message);
  }
  if ((tx instanceof FeeBumpTransaction) !== c.feeBump) fail(i, 'envelope type differs');
  const hash = tx.hash();
  if (hash.toString('hex') !== c.hash) fail(i, `hash ${hash.toString('hex')} != ${c.hash}`);
  if (tx.toEnvelope().toXDR('base64') !== c.envelope) fail(i, 're-encoding differs');
  const sig = tx.signatures[0];
  const kp = Keypair.fromPublicKey(c.signer);
  if (!sig || !kp.verify(hash, sig.signature())) fail(i, 'signature does not verify');
  if (sig && !sig.hint().equals(kp.signatureHint())) fail(i, 'signature hint differs');
  const inner = c.feeBump ? tx.innerTransaction : tx;
  const op = inner.operations[0];
  if (op.type !== 'invokeHostFunction') return fail(i, 'operation type ' + op.type);
  const call = op.func.invokeContract();
  if (call.functionName().toString() !== c.function) fail(i, 'function name differs');
  const got = JSON.stringify(call.args().map(canon));
  if (got !== JSON.stringify(c.args)) fail(i, `arguments differ:\n  C:  ${JSON.stringify(c.args)}\n  JS: ${got}`);
});
console.log(`stellar-base oracle: ${lines.length - failures}/${lines.length} envelopes agree`);
process.exit(failures ? 1 : 0);
