// Package argon2id hashes passwords with Argon2id (golang.org/x/crypto/argon2)
// into PHC strings: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>,
// salt and key in unpadded standard base64. It implements meibo.PasswordHasher.
package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the cost parameters of new hashes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default follows OWASP's first recommendation for Argon2id: 19 MiB, 2 passes,
// 1 lane; 16-byte salt, 32-byte key.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Validate refuses parameters below OWASP's floor or absurdly high ones.
func (p Params) Validate() error {
	switch {
	case p.Memory < 7*1024 || p.Memory > 4*1024*1024:
		return fmt.Errorf("argon2id: memory %d KiB is outside 7168..4194304", p.Memory)
	case p.Time < 1 || p.Time > 100:
		return fmt.Errorf("argon2id: time %d is outside 1..100", p.Time)
	case p.Threads < 1:
		return errors.New("argon2id: threads must be at least 1")
	case p.Memory*p.Time < 7*1024*5:
		// OWASP lists equivalent settings from m=46 MiB, t=1 down to
		// m=7 MiB, t=5; the weakest of them, by memory × passes, is the floor.
		return fmt.Errorf("argon2id: m=%d KiB, t=%d is weaker than OWASP's minimum (m=19 MiB, t=2, or m=7 MiB, t=5, or equivalent)", p.Memory, p.Time)
	case p.SaltLen < 16 || p.KeyLen < 16:
		return errors.New("argon2id: salt and key must be at least 16 bytes")
	}
	return nil
}

// Hasher hashes with fixed parameters.
type Hasher struct{ p Params }

// New returns a hasher with p (zero salt or key lengths take the defaults).
func New(p Params) (*Hasher, error) {
	if p.SaltLen == 0 {
		p.SaltLen = Default.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = Default.KeyLen
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Hasher{p: p}, nil
}

// ForTests returns a hasher with the smallest parameters Argon2id takes (8
// KiB, one pass, one lane), far below what New accepts: real Argon2id hashes
// that protect nothing, for tests that hash many passwords (under the race
// detector a hash at New's floor takes some 40 ms). Servers and commands use
// New.
func ForTests() *Hasher {
	return &Hasher{p: Params{Memory: 8, Time: 1, Threads: 1, SaltLen: Default.SaltLen, KeyLen: Default.KeyLen}}
}

// Params returns the hasher's parameters.
func (h *Hasher) Params() Params { return h.p }

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of password with a new random salt.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2id salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.p.Time, h.p.Memory, h.p.Threads, h.p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.Memory, h.p.Time, h.p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string hash, comparing in
// constant time; rehash is true when hash used other parameters than h.
func (h *Hasher) Verify(hash, password string) (ok, rehash bool, err error) {
	p, salt, key, err := Decode(hash)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	rehash = p.Memory != h.p.Memory || p.Time != h.p.Time || p.Threads != h.p.Threads || uint32(len(key)) != h.p.KeyLen
	return ok, rehash, nil
}

// Decode splits a PHC string into its parameters, salt and key.
func Decode(hash string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("argon2id: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("argon2id: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id: bad parameters %q: %w", parts[3], err)
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, errors.New("argon2id: zero parameter")
	}
	// Padding is read too: hashes imported from other systems were stored
	// as written before meibo dropped it (package passhash).
	if salt, err = b64.DecodeString(strings.TrimRight(parts[4], "=")); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id: bad salt: %w", err)
	}
	if key, err = b64.DecodeString(strings.TrimRight(parts[5], "=")); err != nil || len(key) == 0 {
		return p, nil, nil, fmt.Errorf("argon2id: bad key: %w", err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
