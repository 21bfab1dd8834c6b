// Verifies a Sigstore bundle with sigstore-js (@sigstore/verify and
// @sigstore/bundle), an implementation independent of sigstore-go, for
// independent_test.go. Exit 0: verified; 1: does not verify (reason on
// stderr); 2: usage.
//
//   node sigstore-js-verify.cjs --bundle B --artifact A --subject PURL
//        (--key PUB.pem | --trusted-root TR.json --san SAN --issuer ISSUER)
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { toSignedEntity, toTrustMaterial, Verifier } = require('@sigstore/verify');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
if (!args.bundle || !args.artifact || !(args.key || args['trusted-root'])) {
  console.error('usage: --bundle B --artifact A --subject PURL (--key PUB.pem | --trusted-root TR.json --san SAN --issuer ISSUER)');
  process.exit(2);
}

function fail(msg) {
  console.error(msg);
  process.exit(1);
}

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(args.bundle, 'utf8')));
  const artifact = fs.readFileSync(args.artifact);
  const entity = toSignedEntity(bundle, artifact);

  let trust, options, policy;
  if (args.key) {
    // Any hint maps to the one key given, as cosign --key does.
    const key = crypto.createPublicKey(fs.readFileSync(args.key));
    trust = toTrustMaterial(TrustedRoot.fromJSON({}), () => ({ publicKey: key, validFor: () => true }));
    options = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };
  } else {
    trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(args['trusted-root'], 'utf8'))));
    options = { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 };
    policy = { subjectAlternativeName: args.san, extensions: { issuer: args.issuer } };
  }
  const signer = new Verifier(trust, options).verify(entity, policy);

  // @sigstore/verify checks the envelope's signature, not what the
  // statement says: hold its subject to the artifact here.
  if (bundle.content.$case !== 'dsseEnvelope') fail('not a DSSE bundle');
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== 'application/vnd.in-toto+json') fail(`payload type ${env.payloadType}`);
  const statement = JSON.parse(env.payload.toString('utf8'));
  if (statement._type !== 'https://in-toto.io/Statement/v1') fail(`statement type ${statement._type}`);
  const sha512 = crypto.createHash('sha512').update(artifact).digest('hex');
  const sha256 = crypto.createHash('sha256').update(artifact).digest('hex');
  const subject = (statement.subject || []).find((s) => s.digest && s.digest.sha512 === sha512);
  if (!subject) fail('the artifact\'s sha512 is not a subject of the statement');
  if (subject.digest.sha256 !== undefined && subject.digest.sha256 !== sha256) fail('the subject\'s sha256 does not match');
  if (args.subject && subject.name !== args.subject) fail(`the subject is ${subject.name}, not ${args.subject}`);

  console.log(JSON.stringify({
    verified: true,
    subject: subject.name,
    predicateType: statement.predicateType,
    san: signer.identity ? signer.identity.subjectAlternativeName : undefined,
    issuer: signer.identity && signer.identity.extensions ? signer.identity.extensions.issuer : undefined,
  }));
} catch (err) {
  fail(`${err.name || 'Error'}: ${err.code ? err.code + ': ' : ''}${err.message}`);
}
