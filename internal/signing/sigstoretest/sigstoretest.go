// Package sigstoretest is a local Sigstore for tests, fully offline: a
// Fulcio that issues certificates (with embedded SCTs from a local CT log
// key), a Rekor v1 that logs DSSE entries in a real Merkle tree, an RFC 3161
// timestamp authority, and the GitHub Actions OIDC token endpoint, each an
// httptest server on loopback, plus the trusted_root.json that names their
// keys.
//
// The CA and timestamp-authority certificates come from sigstore-go's
// testing helpers (pkg/testing/ca). The servers are strict: a request with
// the wrong method, path, content type, credentials, an unknown JSON field,
// an unverifiable token or a failed proof of possession fails the test.
package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/digitorus/timestamp"
	"github.com/go-openapi/runtime"
	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	"github.com/google/certificate-transparency-go/x509util"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	// The Rekor entry kinds the fake log accepts.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
)

// Issuer is the OIDC issuer of the tokens the fake Actions runtime hands out.
const Issuer = "https://token.actions.githubusercontent.com"

// Claims are the GitHub Actions token claims of the fake run.
type Claims struct {
	Repository     string // owner/repo
	Visibility     string // public, private, internal
	JobWorkflowRef string // owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3
	Ref            string
	SHA            string
	EventName      string
	RunID          string
}

// Options change the instance's behaviour for a test.
type Options struct {
	Claims Claims // zero: a public repository's release workflow for tag v1.2.3
	// CertificateValidity gives the issued certificate's window; default
	// [now, now+10m] as Fulcio's.
	CertificateValidity func(now time.Time) (notBefore, notAfter time.Time)
	// IntegratedTime is the time Rekor records; default now.
	IntegratedTime func(now time.Time) time.Time
	// FulcioFailure makes Fulcio answer with this status and a careless
	// body that echoes the request's Authorization header.
	FulcioFailure int
}

// Instance is a running local Sigstore.
type Instance struct {
	FulcioURL, RekorURL, TSAURL string
	// TokenRequestURL and TokenRequestToken are what the runner puts in
	// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	TokenRequestURL, TokenRequestToken string
	Claims                             Claims

	t    testing.TB
	opts Options

	rootCert, fulcioInter, tsaInter, tsaLeaf *x509.Certificate
	fulcioKey, tsaKey, rekorKey, ctKey       *ecdsa.PrivateKey
	oidcKey                                  *ecdsa.PrivateKey
	created                                  time.Time

	mu       sync.Mutex
	tree     *testonly.Tree
	requests []string
	tokens   []string // every ID token handed out, for leak checks
}

// New starts a local Sigstore; its servers stop when the test ends.
func New(t testing.TB, opts Options) *Instance {
	t.Helper()
	s := &Instance{t: t, opts: opts, Claims: opts.Claims, created: time.Now(), tree: testonly.New(rfc6962.DefaultHasher)}
	if s.Claims.Repository == "" {
		s.Claims = Claims{
			Repository:     "acme-corp/integrations",
			Visibility:     "public",
			JobWorkflowRef: "acme-corp/integrations/.github/workflows/release.yml@refs/tags/v1.2.3",
			Ref:            "refs/tags/v1.2.3",
			SHA:            "0123456789abcdef0123456789abcdef01234567",
			EventName:      "push",
			RunID:          "4242",
		}
	}
	var err error
	rootCert, rootKey, err := ca.GenerateRootCa()
	must(t, err)
	s.rootCert = rootCert
	s.fulcioInter, s.fulcioKey, err = ca.GenerateFulcioIntermediate(rootCert, rootKey)
	must(t, err)
	s.tsaInter, s.tsaKey, err = ca.GenerateTSAIntermediate(rootCert, rootKey)
	must(t, err)
	tsaLeafKey := newKey(t)
	s.tsaLeaf, err = ca.GenerateTSALeafCert(time.Now().Add(-time.Minute), tsaLeafKey, s.tsaInter, s.tsaKey)
	must(t, err)
	s.tsaKey = tsaLeafKey
	s.rekorKey, s.ctKey, s.oidcKey = newKey(t), newKey(t), newKey(t)
	s.TokenRequestToken = "actions-request-" + randomHex(t, 16)

	s.FulcioURL = s.serve("fulcio", s.fulcio)
	s.RekorURL = s.serve("rekor", s.rekor)
	tsa := s.serve("tsa", s.tsa)
	s.TSAURL = tsa + "/api/v1/timestamp"
	s.TokenRequestURL = s.serve("actions", s.actionsToken) + "/_apis/token?api-version=2.0"
	return s
}

func (s *Instance) serve(name string, h http.HandlerFunc) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, name+" "+r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		h(w, r)
	}))
	s.t.Cleanup(srv.Close)
	return srv.URL
}

// Requests lists the requests served, as "service METHOD /path".
func (s *Instance) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// IssuedTokens are the ID tokens the Actions endpoint handed out: secrets
// a test asserts never leak.
func (s *Instance) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// SAN is the subject alternative name Fulcio puts in certificates for the
// run: the workflow's URL at its ref.
func (s *Instance) SAN() string { return "https://github.com/" + s.Claims.JobWorkflowRef }

// fail reports a request the real service would reject, and rejects it.
func (s *Instance) fail(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("sigstoretest: %s", msg)
	http.Error(w, msg, status)
}

// TrustedRootJSON is the trusted_root.json naming this instance's Fulcio
// CA, Rekor and CT log keys and timestamp authority.
func (s *Instance) TrustedRootJSON() []byte {
	s.t.Helper()
	start := s.created.Add(-time.Hour)
	fulcio := &root.FulcioCertificateAuthority{
		Root: s.rootCert, Intermediates: []*x509.Certificate{s.fulcioInter},
		ValidityPeriodStart: start, URI: s.FulcioURL,
	}
	tsa := &root.SigstoreTimestampingAuthority{
		Root: s.rootCert, Intermediates: []*x509.Certificate{s.tsaInter}, Leaf: s.tsaLeaf,
		ValidityPeriodStart: start, URI: s.TSAURL,
	}
	rekorID, rekorHex := logID(s.t, s.rekorKey)
	ctID, ctHex := logID(s.t, s.ctKey)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{fulcio},
		map[string]*root.TransparencyLog{ctHex: {
			BaseURL: "https://ctfe.localhost", ID: ctID, ValidityPeriodStart: start,
			HashFunc: crypto.SHA256, PublicKey: s.ctKey.Public(), SignatureHashFunc: crypto.SHA256,
		}},
		[]root.TimestampingAuthority{tsa},
		map[string]*root.TransparencyLog{rekorHex: {
			BaseURL: s.RekorURL, ID: rekorID, ValidityPeriodStart: start,
			HashFunc: crypto.SHA256, PublicKey: s.rekorKey.Public(), SignatureHashFunc: crypto.SHA256,
		}})
	must(s.t, err)
	out, err := tr.MarshalJSON()
	must(s.t, err)
	return out
}

// --- the GitHub Actions OIDC token endpoint ---

func (s *Instance) actionsToken(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodGet || r.URL.Path != "/_apis/token":
		s.fail(w, http.StatusNotFound, "actions: unexpected %s %s", r.Method, r.URL.Path)
		return
	case r.Header.Get("Authorization") != "bearer "+s.TokenRequestToken && r.Header.Get("Authorization") != "Bearer "+s.TokenRequestToken:
		s.fail(w, http.StatusUnauthorized, "actions: the request token is missing or wrong")
		return
	case r.URL.Query().Get("api-version") != "2.0":
		s.fail(w, http.StatusBadRequest, "actions: the runner's api-version query parameter was dropped")
		return
	case r.URL.Query().Get("audience") != "sigstore":
		s.fail(w, http.StatusBadRequest, "actions: audience %q, want sigstore", r.URL.Query().Get("audience"))
		return
	}
	tok := s.IssueToken("sigstore", time.Now().Add(5*time.Minute))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": tok}) //nolint:errcheck // the client sees a broken body
}

// IssueToken signs an ID token for the run (ES256), as the Actions OIDC
// provider does.
func (s *Instance) IssueToken(audience string, expires time.Time) string {
	c := s.Claims
	now := time.Now()
	payload := map[string]any{
		"iss": Issuer, "aud": audience, "iat": now.Unix(), "nbf": now.Unix(), "exp": expires.Unix(),
		"sub":                   "repo:" + c.Repository + ":ref:" + c.Ref,
		"repository":            c.Repository,
		"repository_owner":      strings.Split(c.Repository, "/")[0],
		"repository_visibility": c.Visibility,
		"ref":                   c.Ref, "sha": c.SHA, "event_name": c.EventName, "run_id": c.RunID, "run_attempt": "1",
		"workflow_ref": c.JobWorkflowRef, "job_workflow_ref": c.JobWorkflowRef, "job_workflow_sha": c.SHA,
		"runner_environment": "github-hosted",
	}
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": "sigstoretest"})
	body, _ := json.Marshal(payload)
	signing := b64(header) + "." + b64(body)
	digest := sha256.Sum256([]byte(signing))
	r, sv, err := ecdsa.Sign(rand.Reader, s.oidcKey, digest[:])
	s.check(err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	tok := signing + "." + b64(sig)
	s.mu.Lock()
	s.tokens = append(s.tokens, tok)
	s.mu.Unlock()
	return tok
}

// verifyToken checks an ID token as Fulcio does: signature, issuer,
// audience, expiry. It returns the claims.
func (s *Instance) verifyToken(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, fmt.Errorf("bad signature encoding")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&s.oidcKey.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, fmt.Errorf("the token's signature does not verify")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c["iss"] != Issuer || c["aud"] != "sigstore" {
		return nil, fmt.Errorf("issuer %v / audience %v not accepted", c["iss"], c["aud"])
	}
	if exp, _ := c["exp"].(float64); time.Unix(int64(exp), 0).Before(time.Now()) {
		return nil, fmt.Errorf("the token has expired")
	}
	return c, nil
}

// --- Fulcio ---

type fulcioRequest struct {
	PublicKeyRequest struct {
		PublicKey struct {
			Algorithm string `json:"algorithm"`
			Content   string `json:"content"`
		} `json:"publicKey"`
		ProofOfPossession string `json:"proofOfPossession"`
	} `json:"publicKeyRequest"`
}

func (s *Instance) fulcio(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/signingCert" {
		s.fail(w, http.StatusNotFound, "fulcio: unexpected %s %s", r.Method, r.URL.Path)
		return
	}
	if s.opts.FulcioFailure != 0 {
		http.Error(w, "denied for "+r.Header.Get("Authorization"), s.opts.FulcioFailure)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		s.fail(w, http.StatusUnsupportedMediaType, "fulcio: content type %q", ct)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		s.fail(w, http.StatusUnauthorized, "fulcio: no bearer token")
		return
	}
	claims, err := s.verifyToken(tok)
	if err != nil {
		s.fail(w, http.StatusUnauthorized, "fulcio: %v", err)
		return
	}
	var req fulcioRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, "fulcio: request body: %v", err)
		return
	}
	pk := req.PublicKeyRequest
	if pk.PublicKey.Algorithm != "ECDSA" {
		s.fail(w, http.StatusBadRequest, "fulcio: algorithm %q", pk.PublicKey.Algorithm)
		return
	}
	block, _ := pem.Decode([]byte(pk.PublicKey.Content))
	if block == nil || block.Type != "PUBLIC KEY" {
		s.fail(w, http.StatusBadRequest, "fulcio: the public key is not a PEM PUBLIC KEY")
		return
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "fulcio: public key: %v", err)
		return
	}
	ecPub, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		s.fail(w, http.StatusBadRequest, "fulcio: not an ECDSA key")
		return
	}
	pop, err := base64.StdEncoding.DecodeString(pk.ProofOfPossession)
	sub, _ := claims["sub"].(string)
	digest := sha256.Sum256([]byte(sub))
	if err != nil || !ecdsa.VerifyASN1(ecPub, digest[:], pop) {
		s.fail(w, http.StatusBadRequest, "fulcio: the proof of possession (signature over the token subject) does not verify")
		return
	}
	leaf := s.issue(ecPub)
	chain := []string{pemCert(leaf), pemCert(s.fulcioInter), pemCert(s.rootCert)}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // the client sees a broken body
		"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": chain}},
	})
}

// Fulcio's certificate extensions (OIDs 1.3.6.1.4.1.57264.1.x).
func fulcioOID(n int) asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, n}
}

// issue makes the code-signing certificate for pub, with the run's
// identity and an embedded SCT, as Fulcio does for a GitHub Actions token.
func (s *Instance) issue(pub *ecdsa.PublicKey) *x509.Certificate {
	c := s.Claims
	now := time.Now()
	notBefore, notAfter := now, now.Add(10*time.Minute)
	if s.opts.CertificateValidity != nil {
		notBefore, notAfter = s.opts.CertificateValidity(now)
	}
	repoURL := "https://github.com/" + c.Repository
	der := func(v string) []byte {
		b, err := asn1.MarshalWithParams(v, "utf8")
		s.check(err)
		return b
	}
	exts := []pkix.Extension{
		{Id: fulcioOID(1), Value: []byte(Issuer)}, // v1 issuer: raw bytes
		{Id: fulcioOID(2), Value: []byte(c.EventName)},
		{Id: fulcioOID(3), Value: []byte(c.SHA)},
		{Id: fulcioOID(5), Value: []byte(c.Repository)},
		{Id: fulcioOID(6), Value: []byte(c.Ref)},
		{Id: fulcioOID(8), Value: der(Issuer)},
		{Id: fulcioOID(9), Value: der(s.SAN())},
		{Id: fulcioOID(11), Value: der("github-hosted")},
		{Id: fulcioOID(12), Value: der(repoURL)},
		{Id: fulcioOID(13), Value: der(c.SHA)},
		{Id: fulcioOID(14), Value: der(c.Ref)},
		{Id: fulcioOID(18), Value: der(s.SAN())},
		{Id: fulcioOID(20), Value: der(c.EventName)},
		{Id: fulcioOID(21), Value: der(repoURL + "/actions/runs/" + c.RunID + "/attempts/1")},
		{Id: fulcioOID(22), Value: der(c.Visibility)},
	}
	san, err := url.Parse(s.SAN())
	s.check(err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	s.check(err)
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		NotBefore:       notBefore,
		NotAfter:        notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:            []*url.URL{san},
		ExtraExtensions: exts,
	}
	// The SCT signs the certificate without its SCT list; the final
	// certificate is the same template with the list appended last, so
	// removing it gives back exactly the signed TBS.
	pre := s.createCert(tmpl, pub)
	sctExt := s.sct(pre, now)
	tmpl.ExtraExtensions = append(append([]pkix.Extension(nil), exts...), sctExt)
	return s.createCert(tmpl, pub)
}

func (s *Instance) createCert(tmpl *x509.Certificate, pub *ecdsa.PublicKey) *x509.Certificate {
	raw, err := x509.CreateCertificate(rand.Reader, tmpl, s.fulcioInter, pub, s.fulcioKey)
	s.check(err)
	cert, err := x509.ParseCertificate(raw)
	s.check(err)
	return cert
}

// sct is the embedded-SCT extension for pre, signed by the CT log key.
func (s *Instance) sct(pre *x509.Certificate, now time.Time) pkix.Extension {
	id, _ := logID(s.t, s.ctKey)
	sct := ct.SignedCertificateTimestamp{SCTVersion: ct.V1, Timestamp: uint64(now.UnixMilli())}
	copy(sct.LogID.KeyID[:], id)
	leaf := ct.MerkleTreeLeaf{
		Version:  ct.V1,
		LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{
			EntryType: ct.PrecertLogEntryType,
			Timestamp: sct.Timestamp,
			PrecertEntry: &ct.PreCert{
				IssuerKeyHash:  sha256.Sum256(s.fulcioInter.RawSubjectPublicKeyInfo),
				TBSCertificate: pre.RawTBSCertificate,
			},
		},
	}
	input, err := ct.SerializeSCTSignatureInput(sct, ct.LogEntry{Leaf: leaf})
	s.check(err)
	ds, err := cttls.CreateSignature(*s.ctKey, cttls.SHA256, input)
	s.check(err)
	sct.Signature = ct.DigitallySigned(ds)
	list, err := x509util.MarshalSCTsIntoSCTList([]*ct.SignedCertificateTimestamp{&sct})
	s.check(err)
	raw, err := cttls.Marshal(*list)
	s.check(err)
	value, err := asn1.Marshal(raw)
	s.check(err)
	return pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, Value: value}
}

// --- Rekor (v1 API) ---

func (s *Instance) rekor(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/log/entries" {
		s.fail(w, http.StatusNotFound, "rekor: unexpected %s %s", r.Method, r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		s.fail(w, http.StatusUnsupportedMediaType, "rekor: content type %q", ct)
		return
	}
	pe, err := models.UnmarshalProposedEntry(io.LimitReader(r.Body, 10<<20), runtime.JSONConsumer())
	if err != nil {
		s.fail(w, http.StatusBadRequest, "rekor: proposed entry: %v", err)
		return
	}
	if pe.Kind() != "dsse" {
		s.fail(w, http.StatusBadRequest, "rekor: kind %q; Breakwater logs DSSE envelopes", pe.Kind())
		return
	}
	ctx := r.Context()
	entry, err := types.CreateVersionedEntry(pe) // validates the envelope's signature against its verifier
	if err != nil {
		s.fail(w, http.StatusBadRequest, "rekor: entry: %v", err)
		return
	}
	body, err := types.CanonicalizeEntry(ctx, entry)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "rekor: canonicalize: %v", err)
		return
	}

	integrated := time.Now()
	if s.opts.IntegratedTime != nil {
		integrated = s.opts.IntegratedTime(integrated)
	}
	s.mu.Lock()
	index := s.tree.Size()
	s.tree.AppendData(body)
	size := s.tree.Size()
	rootHash := s.tree.Hash()
	proof, err := s.tree.InclusionProof(index, size)
	leafHash := s.tree.LeafHash(index)
	s.mu.Unlock()
	s.check(err)

	_, logHex := logID(s.t, s.rekorKey)
	b64body := base64.StdEncoding.EncodeToString(body)
	set := s.signSET(tlog.RekorPayload{Body: b64body, IntegratedTime: integrated.Unix(), LogIndex: int64(index), LogID: logHex})
	signer, err := signature.LoadECDSASignerVerifier(s.rekorKey, crypto.SHA256)
	s.check(err)
	// Rekor names the checkpoint's signer by its host, and verifiers
	// (sigstore-js) match that name against the log's base URL.
	host, err := url.Parse(s.RekorURL)
	s.check(err)
	checkpoint, err := rekorutil.CreateAndSignCheckpoint(ctx, host.Host, 1, size, rootHash, signer)
	s.check(err)

	hashes := make([]string, len(proof))
	for i, h := range proof {
		hashes[i] = hex.EncodeToString(h)
	}
	uuid := hex.EncodeToString(leafHash)
	idx, ts, sz := int64(index), integrated.Unix(), int64(size)
	rootHex, cp := hex.EncodeToString(rootHash), string(checkpoint)
	resp := models.LogEntry{uuid: models.LogEntryAnon{
		Body: b64body, IntegratedTime: &ts, LogID: &logHex, LogIndex: &idx,
		Verification: &models.LogEntryAnonVerification{
			SignedEntryTimestamp: set,
			InclusionProof: &models.InclusionProof{
				Checkpoint: &cp, Hashes: hashes, LogIndex: &idx, RootHash: &rootHex, TreeSize: &sz,
			},
		},
	}}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", uuid)
	w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(resp) //nolint:errcheck // the client sees a broken body
}

// signSET is Rekor's signed entry timestamp: its key's signature over the
// canonical JSON of body, integrated time, log ID and index.
func (s *Instance) signSET(p tlog.RekorPayload) []byte {
	raw, err := json.Marshal(p)
	s.check(err)
	canon, err := jsoncanonicalizer.Transform(raw)
	s.check(err)
	signer, err := signature.LoadECDSASignerVerifier(s.rekorKey, crypto.SHA256)
	s.check(err)
	sig, err := signer.SignMessage(bytes.NewReader(canon))
	s.check(err)
	return sig
}

// --- the timestamp authority (RFC 3161) ---

func (s *Instance) tsa(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/timestamp" {
		s.fail(w, http.StatusNotFound, "tsa: unexpected %s %s", r.Method, r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/timestamp-query" {
		s.fail(w, http.StatusUnsupportedMediaType, "tsa: content type %q", ct)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		s.fail(w, http.StatusBadRequest, "tsa: %v", err)
		return
	}
	req, err := timestamp.ParseRequest(raw)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "tsa: timestamp query: %v", err)
		return
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:   req.HashAlgorithm,
		HashedMessage:   req.HashedMessage,
		Time:            time.Now(),
		Nonce:           req.Nonce,
		Policy:          asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2},
		ExtraExtensions: req.Extensions,
	}
	resp, err := ts.CreateResponseWithOpts(s.tsaLeaf, s.tsaKey, crypto.SHA256)
	s.check(err)
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp) //nolint:errcheck // the client sees a broken body
}

// --- helpers ---

// check fails the test for an error inside a handler and aborts the
// response; t.Fatal must not run off the test's goroutine.
func (s *Instance) check(err error) {
	if err != nil {
		s.t.Errorf("sigstoretest: %v", err)
		panic(http.ErrAbortHandler)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("sigstoretest: %v", err)
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	return k
}

// logID is a log's ID: the SHA-256 of its PKIX public key, raw and hex.
func logID(t testing.TB, k *ecdsa.PrivateKey) ([]byte, string) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	must(t, err)
	sum := sha256.Sum256(der)
	return sum[:], hex.EncodeToString(sum[:])
}

func pemCert(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	must(t, err)
	return hex.EncodeToString(b)
}
