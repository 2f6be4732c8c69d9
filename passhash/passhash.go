// Package passhash reads password hashes made by other systems, so that
// people moved to meibo keep the passwords they have: bcrypt, Argon2 (PHC),
// scrypt (PHC and the $7$ crypt form), PBKDF2 (PHC, passlib, Django,
// Keycloak's credential JSON), SHA-crypt ($5$, $6$) and salted SHA
// ({SSHA}, {SSHA256}, {SSHA512}). It checks a hash's form (Check) and
// verifies a password against it in constant time (Verify), with the
// implementations of golang.org/x/crypto, the standard library and
// github.com/GehirnInc/crypt. It never makes such hashes: meibo hashes new
// passwords with Argon2id (package argon2id) and replaces a legacy hash at
// the next successful sign-in.
//
// It imports nothing of ours.
package passhash

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// The formats, as named in messages.
const (
	Bcrypt     = "bcrypt"
	Argon2id   = "argon2id"
	Argon2i    = "argon2i"
	Scrypt     = "scrypt"
	PBKDF2     = "PBKDF2"
	Django     = "Django PBKDF2"
	Keycloak   = "Keycloak PBKDF2"
	SHA256     = "SHA-crypt ($5$)"
	SHA512     = "SHA-crypt ($6$)"
	SSHA       = "{SSHA}"
	SSHA256    = "{SSHA256}"
	SSHA512    = "{SSHA512}"
	ScryptSalt = "scrypt ($7$)"
)

// Bounds on the cost a hash may ask for, so that a file cannot make a
// sign-in spend minutes or gigabytes on one verification.
const (
	maxBcryptCost  = 16
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 100
	maxArgonLanes  = 64
	maxScryptMem   = 1 << 30 // bytes: 128·N·r
	maxScryptP     = 64
	maxIterations  = 10_000_000
	maxKeyLen      = 256
)

// ErrUnknown is returned for a string that looks like no known format.
var ErrUnknown = errors.New("passhash: not a known password hash format")

// Identify names the format a hash looks like, from its prefix alone, or ""
// for none.
func Identify(h string) string {
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		return Bcrypt
	case strings.HasPrefix(h, "$argon2id$"):
		return Argon2id
	case strings.HasPrefix(h, "$argon2i$"):
		return Argon2i
	case strings.HasPrefix(h, "$scrypt$"):
		return Scrypt
	case strings.HasPrefix(h, "$7$"):
		return ScryptSalt
	case strings.HasPrefix(h, "$pbkdf2"):
		return PBKDF2
	case strings.HasPrefix(h, "pbkdf2_"):
		return Django
	case strings.HasPrefix(strings.TrimSpace(h), "{") && strings.Contains(h, "\""):
		return Keycloak
	case strings.HasPrefix(h, "$5$"):
		return SHA256
	case strings.HasPrefix(h, "$6$"):
		return SHA512
	case hasPrefixFold(h, "{SSHA}"):
		return SSHA
	case hasPrefixFold(h, "{SSHA256}"):
		return SSHA256
	case hasPrefixFold(h, "{SSHA512}"):
		return SSHA512
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Weak reports whether a hash is of a format too fast to hold against
// guessing (salted SHA), accepted only when asked for explicitly.
func Weak(h string) bool {
	switch Identify(h) {
	case SSHA, SSHA256, SSHA512:
		return true
	}
	return false
}

// FormatError is a hash whose form is wrong for the format it looks like.
type FormatError struct {
	Format string // as Identify names it
	Reason string
}

func (e *FormatError) Error() string { return "passhash: malformed " + e.Format + " hash: " + e.Reason }

func bad(format, reason string, args ...any) error {
	return &FormatError{Format: format, Reason: fmt.Sprintf(reason, args...)}
}

// Check parses h and returns the form meibo stores: h itself, but for
// Keycloak's credential JSON, which becomes a PBKDF2 PHC string. An error
// is ErrUnknown or a *FormatError naming the format.
func Check(h string) (string, error) {
	p, err := parse(h)
	if err != nil {
		return "", err
	}
	return p.stored, nil
}

// Verify reports whether password matches h, comparing in constant time.
// A malformed or unknown hash is an error.
func Verify(h, password string) (bool, error) {
	p, err := parse(h)
	if err != nil {
		return false, err
	}
	return p.verify([]byte(password)), nil
}

// parsed is a hash read: what to store and how to check a password.
type parsed struct {
	stored string
	verify func(pw []byte) bool
}

func parse(h string) (*parsed, error) {
	f := Identify(h)
	switch f {
	case Bcrypt:
		return parseBcrypt(h)
	case Argon2id, Argon2i:
		return parseArgon2(f, h)
	case Scrypt:
		return parseScryptPHC(h)
	case ScryptSalt:
		return parseScrypt7(h)
	case PBKDF2:
		return parsePBKDF2PHC(h)
	case Django:
		return parseDjango(h)
	case Keycloak:
		return parseKeycloak(h)
	case SHA256, SHA512:
		return parseSHACrypt(f, h)
	case SSHA, SSHA256, SSHA512:
		return parseSSHA(f, h)
	}
	return nil, ErrUnknown
}

func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// bcrypt: $2b$10$ + 22 characters of salt + 31 of hash.
func parseBcrypt(h string) (*parsed, error) {
	if len(h) != 60 {
		return nil, bad(Bcrypt, "%d characters instead of 60", len(h))
	}
	for _, c := range h[7:] {
		if !strings.ContainsRune(bcryptAlphabet, c) {
			return nil, bad(Bcrypt, "character %q is not of its alphabet", c)
		}
	}
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return nil, bad(Bcrypt, "%v", strings.TrimPrefix(err.Error(), "crypto/bcrypt: "))
	}
	if cost > maxBcryptCost {
		return nil, bad(Bcrypt, "cost %d is above %d", cost, maxBcryptCost)
	}
	return &parsed{stored: h, verify: func(pw []byte) bool {
		// bcrypt reads at most 72 bytes; a longer password never matches
		// rather than matching on its start.
		return len(pw) <= 72 && bcrypt.CompareHashAndPassword([]byte(h), pw) == nil
	}}, nil
}

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// b64 decodes standard base64 with or without padding.
func b64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Argon2: $argon2id$v=19$m=65536,t=3,p=4$salt$key (PHC).
func parseArgon2(f, h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) == 5 { // version omitted: 1.0 (0x10)
		parts = append(parts[:2], append([]string{"v=16"}, parts[2:]...)...)
	}
	if len(parts) != 6 {
		return nil, bad(f, "expected $%s$v=19$m=…,t=…,p=…$salt$hash", f)
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return nil, bad(f, "version %q is not v=19", parts[2])
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return nil, bad(f, "parameters %q are not m=…,t=…,p=…", parts[3])
	}
	switch {
	case m < 8*uint32(p) || m > maxArgonMemory:
		return nil, bad(f, "memory m=%d is outside %d..%d KiB", m, 8*uint32(p), maxArgonMemory)
	case t < 1 || t > maxArgonTime:
		return nil, bad(f, "passes t=%d are outside 1..%d", t, maxArgonTime)
	case p < 1 || p > maxArgonLanes:
		return nil, bad(f, "lanes p=%d are outside 1..%d", p, maxArgonLanes)
	}
	salt, err := b64(parts[4])
	if err != nil || len(salt) < 8 {
		return nil, bad(f, "salt is not base64 of at least 8 bytes")
	}
	key, err := b64(parts[5])
	if err != nil || len(key) < 4 || len(key) > maxKeyLen {
		return nil, bad(f, "hash is not base64 of 4 to %d bytes", maxKeyLen)
	}
	fn := argon2.IDKey
	if f == Argon2i {
		fn = argon2.Key
	}
	return &parsed{stored: h, verify: func(pw []byte) bool {
		return equal(fn(pw, salt, t, m, p, uint32(len(key))), key)
	}}, nil
}

// scrypt (PHC, as passlib writes it): $scrypt$ln=16,r=8,p=1$salt$key.
func parseScryptPHC(h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 5 {
		return nil, bad(Scrypt, "expected $scrypt$ln=…,r=…,p=…$salt$hash")
	}
	var ln, r, p int
	if _, err := fmt.Sscanf(parts[2], "ln=%d,r=%d,p=%d", &ln, &r, &p); err != nil {
		return nil, bad(Scrypt, "parameters %q are not ln=…,r=…,p=…", parts[2])
	}
	if err := scryptBounds(Scrypt, ln, r, p); err != nil {
		return nil, err
	}
	salt, err := abase64(parts[3])
	if err != nil || len(salt) == 0 {
		return nil, bad(Scrypt, "salt is not base64")
	}
	key, err := abase64(parts[4])
	if err != nil || len(key) < 4 || len(key) > maxKeyLen {
		return nil, bad(Scrypt, "hash is not base64 of 4 to %d bytes", maxKeyLen)
	}
	return &parsed{stored: h, verify: func(pw []byte) bool {
		got, err := scrypt.Key(pw, salt, 1<<ln, r, p, len(key))
		return err == nil && equal(got, key)
	}}, nil
}

func scryptBounds(f string, ln, r, p int) error {
	switch {
	case ln < 1 || ln > 30:
		return bad(f, "cost 2^%d is outside 2^1..2^30", ln)
	case r < 1 || p < 1 || p > maxScryptP:
		return bad(f, "r=%d, p=%d are out of range", r, p)
	case int64(128)*int64(r)<<ln > maxScryptMem:
		return bad(f, "memory 128·N·r is above 1 GiB")
	}
	return nil
}

// abase64 reads passlib's adapted base64 ('.' for '+', no padding) and
// standard base64.
func abase64(s string) ([]byte, error) { return b64(strings.ReplaceAll(s, ".", "+")) }

// itoa64 is the alphabet of crypt(3)'s base64.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// scrypt in the crypt form of libsodium and yescrypt:
// $7$ N(1) r(5) p(5) salt $ hash(43), numbers in little-endian crypt base64;
// the salt is used as its text.
func parseScrypt7(h string) (*parsed, error) {
	rest := h[3:]
	i := strings.LastIndexByte(rest, '$')
	if len(rest) < 11 || i < 11 {
		return nil, bad(ScryptSalt, "expected $7$ + 11 characters of parameters, a salt, $ and the hash")
	}
	ln := strings.IndexByte(itoa64, rest[0])
	r, ok1 := decode30(rest[1:6])
	p, ok2 := decode30(rest[6:11])
	if ln < 0 || !ok1 || !ok2 {
		return nil, bad(ScryptSalt, "parameters are not crypt base64")
	}
	if err := scryptBounds(ScryptSalt, ln, int(r), int(p)); err != nil {
		return nil, err
	}
	salt := []byte(rest[11:i])
	enc := rest[i+1:]
	if len(enc) != 43 || !inAlphabet(enc, itoa64) {
		return nil, bad(ScryptSalt, "hash is not 43 characters of crypt base64")
	}
	return &parsed{stored: h, verify: func(pw []byte) bool {
		got, err := scrypt.Key(pw, salt, 1<<ln, int(r), int(p), 32)
		return err == nil && equal([]byte(encode64(got)), []byte(enc))
	}}, nil
}

func inAlphabet(s, alphabet string) bool {
	for _, c := range s {
		if !strings.ContainsRune(alphabet, c) {
			return false
		}
	}
	return true
}

// decode30 reads a 30-bit number from 5 characters, least significant first.
func decode30(s string) (uint32, bool) {
	var v uint32
	for i := range len(s) {
		c := strings.IndexByte(itoa64, s[i])
		if c < 0 {
			return 0, false
		}
		v |= uint32(c) << (6 * i)
	}
	return v, true
}

// encode64 is crypt base64 of b in groups of three bytes, little-endian.
func encode64(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); {
		var v, bits uint32
		for bits < 24 && i < len(b) {
			v |= uint32(b[i]) << bits
			bits += 8
			i++
		}
		for n := uint32(0); n < bits; n += 6 {
			sb.WriteByte(itoa64[v&0x3f])
			v >>= 6
		}
	}
	return sb.String()
}

// hashFunc names a PBKDF2 digest.
func hashFunc(name string) func() hash.Hash {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "")) {
	case "", "sha1":
		return sha1.New
	case "sha256":
		return sha256.New
	case "sha512":
		return sha512.New
	}
	return nil
}

func pbkdf2Verify(h func() hash.Hash, iter int, salt, key []byte) func(pw []byte) bool {
	return func(pw []byte) bool {
		got, err := pbkdf2.Key(h, string(pw), salt, iter, len(key))
		return err == nil && equal(got, key)
	}
}

func iterBounds(f string, iter int) error {
	if iter < 1 || iter > maxIterations {
		return bad(f, "%d iterations are outside 1..%d", iter, maxIterations)
	}
	return nil
}

// PBKDF2 in PHC form: $pbkdf2-sha256$i=…,l=…$salt$hash (standard base64),
// or as passlib writes it: $pbkdf2-sha256$rounds$salt$hash (adapted base64).
func parsePBKDF2PHC(h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 5 {
		return nil, bad(PBKDF2, "expected $pbkdf2-<digest>$<iterations>$salt$hash")
	}
	digest, _ := strings.CutPrefix(parts[1], "pbkdf2")
	digest = strings.TrimPrefix(digest, "-")
	fn := hashFunc(digest)
	if fn == nil {
		return nil, bad(PBKDF2, "digest %q is not sha1, sha256 or sha512", digest)
	}
	var iter int
	var err error
	decode := abase64
	if strings.HasPrefix(parts[2], "i=") {
		for _, kv := range strings.Split(parts[2], ",") {
			if v, ok := strings.CutPrefix(kv, "i="); ok {
				iter, err = strconv.Atoi(v)
			}
		}
		decode = b64
	} else {
		iter, err = strconv.Atoi(parts[2])
	}
	if err != nil {
		return nil, bad(PBKDF2, "iterations %q are not a number", parts[2])
	}
	if err := iterBounds(PBKDF2, iter); err != nil {
		return nil, err
	}
	salt, err := decode(parts[3])
	if err != nil || len(salt) == 0 {
		return nil, bad(PBKDF2, "salt is not base64")
	}
	key, err := decode(parts[4])
	if err != nil || len(key) < 4 || len(key) > maxKeyLen {
		return nil, bad(PBKDF2, "hash is not base64 of 4 to %d bytes", maxKeyLen)
	}
	return &parsed{stored: h, verify: pbkdf2Verify(fn, iter, salt, key)}, nil
}

// Django: pbkdf2_sha256$iterations$salt$hash; the salt is used as its text.
func parseDjango(h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 {
		return nil, bad(Django, "expected pbkdf2_<digest>$<iterations>$salt$hash")
	}
	fn := hashFunc(strings.TrimPrefix(parts[0], "pbkdf2_"))
	if fn == nil {
		return nil, bad(Django, "algorithm %q is not pbkdf2_sha256 or pbkdf2_sha1", parts[0])
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil {
		return nil, bad(Django, "iterations %q are not a number", parts[1])
	}
	if err := iterBounds(Django, iter); err != nil {
		return nil, err
	}
	if parts[2] == "" {
		return nil, bad(Django, "salt is blank")
	}
	key, err := b64(parts[3])
	if err != nil || len(key) < 4 || len(key) > maxKeyLen {
		return nil, bad(Django, "hash is not base64 of 4 to %d bytes", maxKeyLen)
	}
	return &parsed{stored: h, verify: pbkdf2Verify(fn, iter, []byte(parts[2]), key)}, nil
}

// Keycloak keeps a password credential as two JSON texts, secretData
// ({"value": hash, "salt": salt}, base64) and credentialData
// ({"hashIterations": n, "algorithm": "pbkdf2-sha256"}); its export
// holds them as strings in one object. Both that object and the two merged
// into one are read; what is stored is the PBKDF2 PHC string.
func parseKeycloak(h string) (*parsed, error) {
	var outer struct {
		SecretData     json.RawMessage `json:"secretData"`
		CredentialData json.RawMessage `json:"credentialData"`
		keycloakFields
	}
	dec := json.NewDecoder(strings.NewReader(h))
	if err := dec.Decode(&outer); err != nil {
		return nil, bad(Keycloak, "not a JSON object: %v", err)
	}
	f := outer.keycloakFields
	for _, raw := range []json.RawMessage{outer.SecretData, outer.CredentialData} {
		if len(raw) == 0 {
			continue
		}
		if raw[0] == '"' { // a JSON text inside a string
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, bad(Keycloak, "%v", err)
			}
			raw = []byte(s)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		if err := d.Decode(&f); err != nil {
			return nil, bad(Keycloak, "%v", err)
		}
	}
	alg := strings.TrimPrefix(strings.ToLower(f.Algorithm), "pbkdf2")
	alg = strings.TrimPrefix(alg, "-")
	fn := hashFunc(alg)
	if fn == nil || !strings.HasPrefix(strings.ToLower(f.Algorithm), "pbkdf2") {
		return nil, bad(Keycloak, "algorithm %q is not pbkdf2, pbkdf2-sha256 or pbkdf2-sha512", f.Algorithm)
	}
	if err := iterBounds(Keycloak, f.Iterations); err != nil {
		return nil, err
	}
	salt, err := b64(f.Salt)
	if err != nil || len(salt) == 0 {
		return nil, bad(Keycloak, "salt is not base64")
	}
	key, err := b64(f.Value)
	if err != nil || len(key) < 4 || len(key) > maxKeyLen {
		return nil, bad(Keycloak, "value is not base64 of 4 to %d bytes", maxKeyLen)
	}
	if alg == "" {
		alg = "sha1"
	}
	enc := base64.RawStdEncoding
	stored := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", alg, f.Iterations, len(key), enc.EncodeToString(salt), enc.EncodeToString(key))
	return &parsed{stored: stored, verify: pbkdf2Verify(fn, f.Iterations, salt, key)}, nil
}

type keycloakFields struct {
	Value      string `json:"value"`
	Salt       string `json:"salt"`
	Iterations int    `json:"hashIterations"`
	Algorithm  string `json:"algorithm"`
}

// SHA-crypt: $5$[rounds=N$]salt$hash (43 characters) and $6$… (86).
func parseSHACrypt(f, h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) == 5 {
		v, ok := strings.CutPrefix(parts[2], "rounds=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return nil, bad(f, "%q is not rounds=N", parts[2])
		}
		if n > maxIterations {
			return nil, bad(f, "%d rounds are above %d", n, maxIterations)
		}
		parts = append(parts[:2], parts[3:]...)
	}
	if len(parts) != 4 {
		return nil, bad(f, "expected $%s$[rounds=N$]salt$hash", parts[1])
	}
	want, c := 43, sha256_crypt.New()
	if f == SHA512 {
		want, c = 86, sha512_crypt.New()
	}
	if len(parts[2]) > 16 || strings.ContainsAny(parts[2], "$:\n") {
		return nil, bad(f, "salt is longer than 16 characters")
	}
	if len(parts[3]) != want || !inAlphabet(parts[3], itoa64) {
		return nil, bad(f, "hash is not %d characters of crypt base64", want)
	}
	setting := h[:strings.LastIndexByte(h, '$')]
	return &parsed{stored: h, verify: func(pw []byte) bool { return verifyCrypt(c, setting, h, pw) }}, nil
}

// verifyCrypt hashes pw with the setting (prefix, rounds, salt) of h and
// compares in constant time. The library is given the setting alone: its
// Verify misreads a salt shorter than 16 characters after rounds=N.
func verifyCrypt(c crypt.Crypter, setting, h string, pw []byte) bool {
	got, err := c.Generate(pw, []byte(setting))
	return err == nil && equal([]byte(got), []byte(h))
}

// Salted SHA as LDAP servers keep it: {SSHA}base64(digest(password+salt)+salt).
func parseSSHA(f, h string) (*parsed, error) {
	var fn func() hash.Hash
	size := 0
	switch f {
	case SSHA:
		fn, size = sha1.New, sha1.Size
	case SSHA256:
		fn, size = sha256.New, sha256.Size
	default:
		fn, size = sha512.New, sha512.Size
	}
	raw, err := b64(h[len(f):])
	if err != nil {
		return nil, bad(f, "not base64")
	}
	if len(raw) <= size {
		return nil, bad(f, "%d bytes: no room for a salt after the %d-byte digest", len(raw), size)
	}
	sum, salt := raw[:size], raw[size:]
	return &parsed{stored: h, verify: func(pw []byte) bool {
		d := fn()
		d.Write(pw)
		d.Write(salt)
		return equal(d.Sum(nil), sum)
	}}, nil
}
