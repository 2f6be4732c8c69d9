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
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

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

	DjangoArgon2 = "Django Argon2"        // argon2$argon2id$…: stored as Argon2
	DjangoBcrypt = "Django bcrypt"        // bcrypt$$2b$…: stored as bcrypt
	DjangoSHA256 = "Django bcrypt_sha256" // bcrypt of the hex SHA-256 of the password
	LDAPCrypt    = "{CRYPT}"              // {CRYPT}$6$…: stored without {CRYPT}
	Werkzeug     = "Werkzeug"             // pbkdf2:sha256:600000$salt$hex, scrypt:32768:8:1$salt$hex
)

// Cost is what one verification of a password against a hash takes:
// processor time, estimated for one core like the one the rates below were
// measured on, and memory.
type Cost struct {
	Time   time.Duration
	Memory int64 // bytes
}

// MaxCost bounds one verification: Check refuses a hash that would take
// more, and Verify does not run it. 1.5 s is a little more than bcrypt cost
// 14 (about 1 s) and allows the strong settings of real systems (Django's
// 1,200,000 PBKDF2 iterations take about 0.2 s, scrypt ln=17 r=8 about
// 0.4 s, Argon2id m=256 MiB t=4 about 0.9 s); 256 MiB allows Argon2 and
// scrypt at four times the memory OWASP recommends.
var MaxCost = Cost{Time: 1500 * time.Millisecond, Memory: 256 << 20}

// Within reports whether c takes no more time and no more memory than limit.
func (c Cost) Within(limit Cost) bool { return c.Time <= limit.Time && c.Memory <= limit.Memory }

// Max is the larger of c and d in each of time and memory.
func (c Cost) Max(d Cost) Cost {
	return Cost{Time: max(c.Time, d.Time), Memory: max(c.Memory, d.Memory)}
}

// TimeText is c's time for people: "0.8 s", "24 s", "9 minutes".
func (c Cost) TimeText() string {
	s := c.Time.Seconds()
	switch {
	case s < 10:
		return fmt.Sprintf("%.1f s", s)
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 2*3600:
		return fmt.Sprintf("%.0f minutes", s/60)
	}
	return fmt.Sprintf("%.0f hours", s/3600)
}

// MemoryText is c's memory for people: "64 MiB", "1 GiB", "12 KiB".
func (c Cost) MemoryText() string {
	m := float64(c.Memory)
	switch {
	case m >= 1<<30:
		return strconv.FormatFloat(math.Round(m/(1<<30)*10)/10, 'f', -1, 64) + " GiB"
	case m >= 1<<20:
		return fmt.Sprintf("%.0f MiB", m/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", math.Ceil(m/(1<<10)))
}

// Processor time of each algorithm, per unit of its cost parameters,
// measured with golang.org/x/crypto, the standard library and
// github.com/GehirnInc/crypt on one core of an AMD EPYC (SHA extensions)
// under Go 1.26: the estimates of Cost, meant to be right within a factor
// of two or so on a server's core.
const (
	nsBcrypt       = 60_000 // per 2^cost
	nsPBKDF2SHA1   = 185    // per iteration and block of output
	nsPBKDF2SHA256 = 155
	nsPBKDF2SHA512 = 390
	nsArgon2       = 800 // per KiB and pass, whatever the lanes
	nsScrypt       = 370 // per N·r·p
	// SHA-crypt hashes the password twice a round: per round and per byte
	// of the password.
	nsSHA256Crypt, nsSHA256CryptByte = 150, 1.4
	nsSHA512Crypt, nsSHA512CryptByte = 300, 2.5
	// typicalPassword is the length, in bytes, at which Check estimates
	// SHA-crypt (Verify takes the password's).
	typicalPassword = 64
)

func nanos(n float64) time.Duration {
	if n >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(n)
}

// Sanity bounds on a hash's numbers, so that the estimates cannot overflow.
const (
	maxKeyLen     = 256
	maxIterations = math.MaxInt32
)

// ErrUnknown is returned for a string that looks like no known format.
var ErrUnknown = errors.New("passhash: not a known password hash format")

// Identify names the format a hash looks like, from its prefix alone, or ""
// for none.
func Identify(h string) string {
	switch {
	case strings.HasPrefix(h, "argon2$argon2"):
		return DjangoArgon2
	case strings.HasPrefix(h, "bcrypt$$2"):
		return DjangoBcrypt
	case strings.HasPrefix(h, "bcrypt_sha256$"):
		return DjangoSHA256
	case hasPrefixFold(h, "{CRYPT}"):
		return LDAPCrypt
	case strings.HasPrefix(h, "pbkdf2:"), strings.HasPrefix(h, "scrypt:"):
		return Werkzeug
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

// CostError is a hash whose verification would cost more than MaxCost.
type CostError struct {
	Format string // as Identify names it
	Params string // the parameters that make it costly, as the hash has them
	Cost   Cost
}

func (e *CostError) Error() string {
	mem := ""
	if e.Cost.Memory >= 1<<20 {
		mem = " and " + e.Cost.MemoryText() + " of memory"
	}
	return fmt.Sprintf("passhash: %s hash with %s would take about %s of processor time%s to check; at most %s and %s are allowed",
		e.Format, e.Params, e.Cost.TimeText(), mem, MaxCost.TimeText(), MaxCost.MemoryText())
}

// Check parses h and returns the form meibo stores: h itself, but for
// Keycloak's credential JSON, which becomes a PBKDF2 PHC string, Argon2,
// whose salt and hash are written without base64 padding, and the
// wrappers of other formats ({CRYPT}, Django's argon2$ and bcrypt$), which
// are dropped. An error is ErrUnknown, a *FormatError naming the format or
// a *CostError for a hash that would take more than MaxCost to verify.
func Check(h string) (string, error) {
	p, err := parse(h)
	if err != nil {
		return "", err
	}
	if err := p.bound(typicalPassword); err != nil {
		return "", err
	}
	return p.stored, nil
}

// Estimate returns what verifying a password against h costs, for a
// password of 64 bytes, whether or not that is within MaxCost. A malformed
// or unknown hash is an error, as for Check.
func Estimate(h string) (Cost, error) {
	p, err := parse(h)
	if err != nil {
		return Cost{}, err
	}
	return p.cost(typicalPassword), nil
}

// Verify reports whether password matches h, comparing in constant time.
// A malformed or unknown hash is an error, and so is a hash that would
// take more than MaxCost to verify (a *CostError): it is not run.
func Verify(h, password string) (bool, error) {
	p, err := parse(h)
	if err != nil {
		return false, err
	}
	if err := p.bound(len(password)); err != nil {
		return false, err
	}
	return p.verify([]byte(password)), nil
}

// parsed is a hash read: what to store, how to check a password and what
// checking a password of n bytes costs.
type parsed struct {
	stored string
	verify func(pw []byte) bool
	format string // as Identify names it
	params string // the cost parameters, for messages
	cost   func(n int) Cost
}

func (p *parsed) bound(n int) error {
	if c := p.cost(n); !c.Within(MaxCost) {
		return &CostError{Format: p.format, Params: p.params, Cost: c}
	}
	return nil
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
	case DjangoArgon2:
		inner := h[len("argon2"):]
		switch g := Identify(inner); g {
		case Argon2id, Argon2i:
			return parseArgon2(g, inner)
		}
		return nil, bad(DjangoArgon2, "variant %q is not argon2id or argon2i", strings.SplitN(strings.TrimPrefix(inner, "$"), "$", 2)[0])
	case DjangoBcrypt:
		return parseBcrypt(h[len("bcrypt$"):])
	case DjangoSHA256:
		return parseDjangoSHA256(h)
	case LDAPCrypt:
		return parseLDAPCrypt(h)
	case Werkzeug:
		return parseWerkzeug(h)
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
	return &parsed{stored: h, format: Bcrypt, params: fmt.Sprintf("cost %d", cost),
		cost: func(int) Cost { return Cost{Time: nanos(nsBcrypt * math.Ldexp(1, cost)), Memory: 4 << 10} },
		verify: func(pw []byte) bool {
			// bcrypt reads the first 72 bytes of a password, and PHP, Ruby,
			// passlib and Spring hash those and ignore the rest: so does
			// this (since the hash is replaced at this sign-in, the whole
			// password counts from then on).
			return bcrypt.CompareHashAndPassword([]byte(h), pw[:min(len(pw), 72)]) == nil
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
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != parts[3] {
		return nil, bad(f, "parameters %q are not m=…,t=…,p=…", parts[3])
	}
	switch {
	case p < 1:
		return nil, bad(f, "lanes p=%d are fewer than 1", p)
	case m < 8*uint32(p):
		return nil, bad(f, "memory m=%d KiB is less than 8 KiB a lane", m)
	case t < 1:
		return nil, bad(f, "passes t=%d are fewer than 1", t)
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
	// Stored as argon2id.Decode reads it: unpadded base64, v=19 written.
	enc := base64.RawStdEncoding
	stored := fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", f, argon2.Version, m, t, p, enc.EncodeToString(salt), enc.EncodeToString(key))
	return &parsed{stored: stored, format: f, params: fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p),
		cost: func(int) Cost {
			return Cost{Time: nanos(nsArgon2 * float64(m) * float64(t)), Memory: int64(m) << 10}
		},
		verify: func(pw []byte) bool {
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
	return scryptParsed(Scrypt, h, parts[2], ln, r, p, func(pw []byte) bool {
		got, err := scrypt.Key(pw, salt, 1<<ln, r, p, len(key))
		return err == nil && equal(got, key)
	}), nil
}

func scryptBounds(f string, ln, r, p int) error {
	switch {
	case ln < 1 || ln > 30:
		return bad(f, "cost 2^%d is outside 2^1..2^30", ln)
	case r < 1 || p < 1 || r >= 1<<30/p:
		return bad(f, "r=%d, p=%d are out of range", r, p)
	}
	return nil
}

// scryptParsed is a scrypt hash of cost 2^ln, r and p (checked by
// scryptBounds): its time grows with N·r·p, its memory with 128·N·r.
func scryptParsed(f, h, params string, ln, r, p int, verify func(pw []byte) bool) *parsed {
	return &parsed{stored: h, format: f, params: params, verify: verify, cost: func(int) Cost {
		n := math.Ldexp(1, ln)
		return Cost{Time: nanos(nsScrypt * n * float64(r) * float64(p)), Memory: int64(min(128*n*float64(r), math.MaxInt64))}
	}}
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
	params := fmt.Sprintf("ln=%d,r=%d,p=%d", ln, r, p)
	return scryptParsed(ScryptSalt, h, params, ln, int(r), int(p), func(pw []byte) bool {
		got, err := scrypt.Key(pw, salt, 1<<ln, int(r), int(p), 32)
		return err == nil && equal([]byte(encode64(got)), []byte(enc))
	}), nil
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

// pbkdf2Parsed is a PBKDF2 hash: its time is the iterations times the
// blocks of the digest's size that make its key.
func pbkdf2Parsed(f, stored, digest string, iter int, salt, key []byte) *parsed {
	h := hashFunc(digest)
	size, ns := h().Size(), float64(nsPBKDF2SHA1)
	switch size {
	case sha256.Size:
		ns = nsPBKDF2SHA256
	case sha512.Size:
		ns = nsPBKDF2SHA512
	}
	blocks := (len(key) + size - 1) / size
	params := fmt.Sprintf("%d iterations", iter)
	if blocks > 1 {
		params += fmt.Sprintf(" × %d blocks of output (a %d-byte key)", blocks, len(key))
	}
	return &parsed{stored: stored, format: f, params: params,
		cost: func(int) Cost { return Cost{Time: nanos(ns * float64(iter) * float64(blocks)), Memory: 1 << 10} },
		verify: func(pw []byte) bool {
			got, err := pbkdf2.Key(h, string(pw), salt, iter, len(key))
			return err == nil && equal(got, key)
		}}
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
	if hashFunc(digest) == nil {
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
	return pbkdf2Parsed(PBKDF2, h, digest, iter, salt, key), nil
}

// Django: pbkdf2_sha256$iterations$salt$hash; the salt is used as its text.
func parseDjango(h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 {
		return nil, bad(Django, "expected pbkdf2_<digest>$<iterations>$salt$hash")
	}
	digest := strings.TrimPrefix(parts[0], "pbkdf2_")
	if hashFunc(digest) == nil {
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
	return pbkdf2Parsed(Django, h, digest, iter, []byte(parts[2]), key), nil
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
		return nil, keycloakJSONError(err)
	}
	f := outer.keycloakFields
	for _, raw := range []json.RawMessage{outer.SecretData, outer.CredentialData} {
		if len(raw) == 0 {
			continue
		}
		if raw[0] == '"' { // a JSON text inside a string
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, keycloakJSONError(err)
			}
			raw = []byte(s)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		if err := d.Decode(&f); err != nil {
			return nil, keycloakJSONError(err)
		}
	}
	alg := strings.TrimPrefix(strings.ToLower(f.Algorithm), "pbkdf2")
	alg = strings.TrimPrefix(alg, "-")
	if hashFunc(alg) == nil || !strings.HasPrefix(strings.ToLower(f.Algorithm), "pbkdf2") {
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
	return pbkdf2Parsed(Keycloak, stored, alg, f.Iterations, salt, key), nil
}

// keycloakJSONError says what is wrong with the JSON of a credential in
// its own words: a value of the wrong type is named by its field.
func keycloakJSONError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Type.Kind() == reflect.Int:
		return bad(Keycloak, "%s is %s, not a whole number", jsonField(te.Field), te.Value)
	case errors.As(err, &te):
		return bad(Keycloak, "%s is %s, not text", jsonField(te.Field), te.Value)
	case errors.As(err, &se):
		return bad(Keycloak, "not JSON: %s at character %d", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return bad(Keycloak, "the JSON ends before its object does")
	}
	return bad(Keycloak, "not a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonField is the JSON name of a field as encoding/json reports it
// ("keycloakFields.hashIterations").
func jsonField(f string) string { return f[strings.LastIndexByte(f, '.')+1:] }

type keycloakFields struct {
	Value      string `json:"value"`
	Salt       string `json:"salt"`
	Iterations int    `json:"hashIterations"`
	Algorithm  string `json:"algorithm"`
}

// SHA-crypt: $5$[rounds=N$]salt$hash (43 characters) and $6$… (86).
func parseSHACrypt(f, h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	rounds := 5000 // the default of the specification
	if len(parts) == 5 {
		v, ok := strings.CutPrefix(parts[2], "rounds=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return nil, bad(f, "%q is not rounds=N", parts[2])
		}
		if n > maxIterations {
			return nil, bad(f, "%d rounds are above %d", n, maxIterations)
		}
		rounds = max(n, 1000) // as the specification reads fewer
		parts = append(parts[:2], parts[3:]...)
	}
	if len(parts) != 4 {
		return nil, bad(f, "expected $%s$[rounds=N$]salt$hash", parts[1])
	}
	want, c := 43, sha256_crypt.New()
	ns, nsByte := float64(nsSHA256Crypt), nsSHA256CryptByte
	if f == SHA512 {
		want, c = 86, sha512_crypt.New()
		ns, nsByte = nsSHA512Crypt, nsSHA512CryptByte
	}
	if len(parts[2]) > 16 || strings.ContainsAny(parts[2], "$:\n") {
		return nil, bad(f, "salt is longer than 16 characters")
	}
	if len(parts[3]) != want || !inAlphabet(parts[3], itoa64) {
		return nil, bad(f, "hash is not %d characters of crypt base64", want)
	}
	setting := h[:strings.LastIndexByte(h, '$')]
	return &parsed{stored: h, format: f, params: fmt.Sprintf("%d rounds", rounds),
		cost: func(n int) Cost {
			return Cost{Time: nanos(float64(rounds) * (ns + nsByte*float64(n))), Memory: 1 << 10}
		},
		verify: func(pw []byte) bool { return verifyCrypt(c, setting, h, pw) }}, nil
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
	return &parsed{stored: h, format: f, params: "one digest", cost: func(int) Cost { return Cost{Time: time.Microsecond, Memory: 1 << 10} }, verify: func(pw []byte) bool {
		d := fn()
		d.Write(pw)
		d.Write(salt)
		return equal(d.Sum(nil), sum)
	}}, nil
}

// Django's BCryptSHA256PasswordHasher: bcrypt_sha256$ + a bcrypt hash of
// the hexadecimal SHA-256 of the password (64 characters, so that no part
// of a long password is lost). Stored as it is.
func parseDjangoSHA256(h string) (*parsed, error) {
	inner := strings.TrimPrefix(h, "bcrypt_sha256$")
	if Identify(inner) != Bcrypt {
		return nil, bad(DjangoSHA256, "expected bcrypt_sha256$ and a bcrypt hash ($2b$…)")
	}
	p, err := parseBcrypt(inner)
	if err != nil {
		return nil, err
	}
	verify := p.verify
	p.stored, p.format = h, DjangoSHA256
	p.verify = func(pw []byte) bool {
		sum := sha256.Sum256(pw)
		return verify([]byte(hex.EncodeToString(sum[:])))
	}
	return p, nil
}

// LDAP's {CRYPT} + a crypt(3) hash: read, and stored, as that hash.
func parseLDAPCrypt(h string) (*parsed, error) {
	inner := h[len(LDAPCrypt):]
	switch f := Identify(inner); f {
	case Bcrypt, SHA256, SHA512, ScryptSalt:
		return parse(inner)
	}
	what := "it"
	if i := strings.IndexByte(inner[min(1, len(inner)):], '$'); strings.HasPrefix(inner, "$") && i > 0 {
		what = inner[:i+2]
	}
	if strings.HasPrefix(inner, "$1$") {
		what = "MD5-crypt ($1$)"
	}
	return nil, bad(LDAPCrypt, "%s is not a crypt hash meibo reads: SHA-crypt ($5$, $6$), bcrypt ($2b$) or scrypt ($7$)", what)
}

// Werkzeug (Flask): method$salt$hex, the salt used as its text, the method
// pbkdf2:<digest>:<iterations> or scrypt:<N>:<r>:<p> (a 64-byte key).
// Stored as it is.
func parseWerkzeug(h string) (*parsed, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 3 {
		return nil, bad(Werkzeug, "expected method$salt$hash (pbkdf2:sha256:600000$…$…)")
	}
	method := strings.Split(parts[0], ":")
	salt := []byte(parts[1])
	if len(salt) == 0 {
		return nil, bad(Werkzeug, "salt is blank")
	}
	key, err := hex.DecodeString(parts[2])
	if err != nil || len(key) < 4 || len(key) > maxKeyLen {
		return nil, bad(Werkzeug, "hash is not hexadecimal of 4 to %d bytes", maxKeyLen)
	}
	if method[0] == "scrypt" {
		if len(method) != 4 {
			return nil, bad(Werkzeug, "method %q is not scrypt:N:r:p", parts[0])
		}
		n, err1 := strconv.Atoi(method[1])
		r, err2 := strconv.Atoi(method[2])
		p, err3 := strconv.Atoi(method[3])
		if err1 != nil || err2 != nil || err3 != nil || n < 2 || n&(n-1) != 0 {
			return nil, bad(Werkzeug, "method %q is not scrypt:N:r:p with N a power of 2", parts[0])
		}
		ln := 0
		for 1<<ln < n {
			ln++
		}
		if err := scryptBounds(Werkzeug, ln, r, p); err != nil {
			return nil, err
		}
		return scryptParsed(Werkzeug, h, parts[0], ln, r, p, func(pw []byte) bool {
			got, err := scrypt.Key(pw, salt, n, r, p, len(key))
			return err == nil && equal(got, key)
		}), nil
	}
	if len(method) == 2 {
		return nil, bad(Werkzeug, "method %q does not name its iterations (%s:<iterations>)", parts[0], parts[0])
	}
	if len(method) != 3 || hashFunc(method[1]) == nil {
		return nil, bad(Werkzeug, "method %q is not pbkdf2:<sha1, sha256 or sha512>:<iterations>", parts[0])
	}
	iter, err := strconv.Atoi(method[2])
	if err != nil {
		return nil, bad(Werkzeug, "iterations %q are not a number", method[2])
	}
	if err := iterBounds(Werkzeug, iter); err != nil {
		return nil, err
	}
	return pbkdf2Parsed(Werkzeug, h, method[1], iter, salt, key), nil
}
