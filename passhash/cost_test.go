package passhash_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/passhash"
)

// fake is standard base64 of n bytes: a salt or key of the right form,
// for hashes that are only checked, never verified.
func fake(n int) string { return base64.RawStdEncoding.EncodeToString(make([]byte, n)) }

// crypt64 is n characters of crypt base64.
func crypt64(n int) string { return strings.Repeat("a", n) }

// A bcrypt hash of cost c (the salt and hash of a cost-4 hash).
func bcryptOfCost(t *testing.T, c int) string {
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("$2b$%02d$%s", c, b[7:])
}

// TestCostRefused: hashes whose parameters are each in range but together
// cost minutes or gigabytes per sign-in are refused by Check, and Verify
// does not run them.
func TestCostRefused(t *testing.T) {
	for _, h := range []string{
		"$pbkdf2-sha1$i=10000000,l=256$" + fake(16) + "$" + fake(256),      // 13 blocks of SHA-1: some 24 s
		"$pbkdf2-sha512$i=10000000,l=64$" + fake(16) + "$" + fake(64),      // 4 s
		"pbkdf2_sha256$20000000$salt$" + fake(32),                          // 3 s
		"$argon2id$v=19$m=1048576,t=100,p=64$" + fake(16) + "$" + fake(32), // 1 GiB, minutes
		"$argon2id$v=19$m=524288,t=1,p=1$" + fake(16) + "$" + fake(32),     // 512 MiB
		"$argon2id$v=19$m=262144,t=10,p=4$" + fake(16) + "$" + fake(32),    // 2 s
		"$scrypt$ln=20,r=8,p=64$" + fake(16) + "$" + fake(32),              // 1 GiB, minutes
		"$scrypt$ln=16,r=8,p=64$" + fake(16) + "$" + fake(32),              // 64 MiB but 64 passes
		"$6$rounds=10000000$saltsalt$" + crypt64(86),
		"$5$rounds=20000000$saltsalt$" + crypt64(43),
		bcryptOfCost(t, 16),
		bcryptOfCost(t, 15),
	} {
		_, err := passhash.Check(h)
		var ce *passhash.CostError
		if !errors.As(err, &ce) {
			t.Errorf("Check(%.40s…) = %v, want a cost error", h, err)
			continue
		}
		if !strings.Contains(err.Error(), "would take about") {
			t.Errorf("Check(%.40s…): %v", h, err)
		}
		start := time.Now()
		ok, err := passhash.Verify(h, pw)
		if ok || !errors.As(err, &ce) {
			t.Errorf("Verify(%.40s…) = %v, %v, want a cost error", h, ok, err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("Verify(%.40s…) took %v: it ran the hash", h, d)
		}
	}
}

// TestCostMessage: the error says the format, the parameters and roughly
// how long a check would take.
func TestCostMessage(t *testing.T) {
	_, err := passhash.Check("$pbkdf2-sha1$i=10000000,l=256$" + fake(16) + "$" + fake(256))
	want := "PBKDF2 hash with 10000000 iterations × 13 blocks of output (a 256-byte key) would take about 24 s of processor time"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want %q", err, want)
	}
	_, err = passhash.Check("$argon2id$v=19$m=1048576,t=100,p=64$" + fake(16) + "$" + fake(32))
	if want := "about 84 s of processor time and 1 GiB of memory"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want %q", err, want)
	}
}

// TestStrongDefaultsAccepted: the defaults and strong settings of the
// systems people move from are within the bounds.
func TestStrongDefaultsAccepted(t *testing.T) {
	for _, h := range []string{
		"pbkdf2_sha256$1200000$salt$" + fake(32),                             // Django 6.0
		"pbkdf2_sha1$1300000$salt$" + fake(20),                               // OWASP for PBKDF2-SHA1
		"$pbkdf2-sha256$i=600000,l=32$" + fake(16) + "$" + fake(32),          // OWASP
		"$pbkdf2-sha512$i=210000,l=64$" + fake(16) + "$" + fake(64),          // Keycloak 24+, OWASP
		"$pbkdf2-sha256$29000$" + fake(16) + "$" + fake(32),                  // passlib
		"$argon2id$v=19$m=65536,t=3,p=4$" + fake(16) + "$" + fake(32),        // RFC 9106's second choice, passlib
		"$argon2id$v=19$m=262144,t=4,p=4$" + fake(16) + "$" + fake(32),       // libsodium's "sensitive" is 1 GiB; this is 256 MiB
		"argon2$argon2id$v=19$m=102400,t=2,p=8$" + fake(16) + "$" + fake(32), // Django
		"$scrypt$ln=17,r=8,p=1$" + fake(16) + "$" + fake(32),                 // OWASP
		"$scrypt$ln=18,r=8,p=1$" + fake(16) + "$" + fake(32),                 // 256 MiB
		"$6$rounds=656000$saltsalt$" + crypt64(86),                           // passlib
		"$5$rounds=535000$saltsalt$" + crypt64(43),                           // passlib
		"$6$rounds=1000000$saltsalt$" + crypt64(86),
		"{CRYPT}$6$rounds=656000$saltsalt$" + crypt64(86),
		"pbkdf2:sha256:1000000$salt$" + strings.Repeat("ab", 32), // Werkzeug 3.1
		"scrypt:32768:8:1$salt$" + strings.Repeat("ab", 64),      // Werkzeug 3
		bcryptOfCost(t, 14),
	} {
		if _, err := passhash.Check(h); err != nil {
			t.Errorf("Check(%.40s…): %v", h, err)
		}
	}
}

// TestCostLongPassword: SHA-crypt hashes the password in every round, so
// Verify bounds the cost with the password's length, not a typical one.
func TestCostLongPassword(t *testing.T) {
	h := "$6$rounds=2000000$saltsalt$" + crypt64(86)
	if _, err := passhash.Check(h); err != nil {
		t.Fatal(err)
	}
	var ce *passhash.CostError
	if ok, err := passhash.Verify(h, strings.Repeat("x", 2000)); ok || !errors.As(err, &ce) {
		t.Errorf("Verify(2000-byte password) = %v, %v, want a cost error", ok, err)
	}
}

// TestArgon2Padding: Argon2 with padded base64 is stored unpadded, the form
// argon2id.Decode reads.
func TestArgon2Padding(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, 1, 8192, 1, 32)
	enc := base64.StdEncoding.EncodeToString
	h := "$argon2id$v=19$m=8192,t=1,p=1$" + enc(salt) + "$" + enc(key)
	if !strings.Contains(h, "=") {
		t.Fatal("no padding")
	}
	stored, err := passhash.Check(h)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "=$") || strings.HasSuffix(stored, "=") {
		t.Errorf("stored %q keeps its padding", stored)
	}
	ok, _, err := argon2id.ForTests().Verify(stored, pw)
	if !ok || err != nil {
		t.Errorf("argon2id Verify(%q) = %v, %v", stored, ok, err)
	}
}

// TestBcryptLong: a password longer than 72 bytes matches a bcrypt hash of
// its first 72 bytes, as the systems that made such hashes took it.
func TestBcryptLong(t *testing.T) {
	long := strings.Repeat("0123456789", 10)
	b, err := bcrypt.GenerateFromPassword([]byte(long[:72]), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := passhash.Verify(string(b), long); !ok || err != nil {
		t.Errorf("Verify(100 bytes) = %v, %v", ok, err)
	}
	if ok, _ := passhash.Verify(string(b), long[:71]); ok {
		t.Error("Verify(71 bytes) = true")
	}
	if ok, _ := passhash.Verify(string(b), "x"+long); ok {
		t.Error("Verify(other start) = true")
	}
}

// TestWrappers: formats that wrap one already read.
func TestWrappers(t *testing.T) {
	salt := []byte("0123456789abcdef")
	enc := base64.RawStdEncoding.EncodeToString
	argon := "$argon2id$v=19$m=8192,t=1,p=1$" + enc(salt) + "$" + enc(argon2.IDKey([]byte(pw), salt, 1, 8192, 1, 32))
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(pw))
	bsha, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(sum[:])), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ format, hash, stored, password string }{
		{passhash.DjangoArgon2, "argon2" + argon, argon, pw},
		{passhash.DjangoBcrypt, "bcrypt$" + string(b), string(b), pw},
		{passhash.DjangoSHA256, "bcrypt_sha256$" + string(bsha), "bcrypt_sha256$" + string(bsha), pw},
		{passhash.LDAPCrypt, "{CRYPT}" + vectors[11].hash, vectors[11].hash, vectors[11].password},
		// Made with Python's hashlib, as Werkzeug does.
		{passhash.Werkzeug, "pbkdf2:sha256:600000$ZpXq3Lr0bM9tVwHk$3e766eb9e6c676375006e820abed5dfaaf322ae8adcd1c3b74fa946862596983", "", pw},
		{passhash.Werkzeug, "scrypt:32768:8:1$Qm7yT2cVnK8pLs4w$8b6e4139e683e4161d1a17d9a176a5e632cd95ad35708269732723a03f8b0bb979a9ee7b882df6ad50a4d199a081068bf16281cd6c5597b0fe114f887602de93", "", pw},
	} {
		if c.stored == "" {
			c.stored = c.hash
		}
		if got := passhash.Identify(c.hash); got != c.format {
			t.Errorf("Identify(%.30s…) = %q, want %q", c.hash, got, c.format)
		}
		stored, err := passhash.Check(c.hash)
		if err != nil || stored != c.stored {
			t.Errorf("Check(%.30s…) = %q, %v, want %q", c.hash, stored, err, c.stored)
			continue
		}
		if ok, err := passhash.Verify(stored, c.password); !ok || err != nil {
			t.Errorf("Verify(%.30s…) = %v, %v", stored, ok, err)
		}
		if ok, _ := passhash.Verify(stored, c.password+"x"); ok {
			t.Errorf("Verify(%.30s…, wrong) = true", stored)
		}
	}
	for _, c := range []struct{ hash, format, reason string }{
		{"{CRYPT}$1$saltsalt$abcdefghijklmnopqrstuv", passhash.LDAPCrypt, "MD5-crypt ($1$) is not a crypt hash meibo reads"},
		{"argon2" + strings.Replace(argon, "$argon2id$", "$argon2d$", 1), passhash.DjangoArgon2, `variant "argon2d" is not argon2id or argon2i`},
		{"argon2" + strings.Replace(argon, "$argon2id$", "$argon2x$", 1), passhash.DjangoArgon2, `variant "argon2x"`},
		{strings.Replace(argon, "p=1$", "p=1junk$", 1), passhash.Argon2id, `parameters "m=8192,t=1,p=1junk"`},
		{"{crypt}abJnggxhB/yWI", passhash.LDAPCrypt, "it is not a crypt hash meibo reads"},
		{"pbkdf2:sha256$salt$abcdabcd", passhash.Werkzeug, "does not name its iterations"},
		{"bcrypt_sha256$$2b$12$short", passhash.Bcrypt, "characters instead of 60"},
		{`{"value":"YWJjZGFiY2Q=","salt":"c2FsdA==","hashIterations":1e30,"algorithm":"pbkdf2-sha256"}`, passhash.Keycloak, "malformed Keycloak PBKDF2 hash: hashIterations is number 1e30, not a whole number"},
		{`{"value":"YWJjZGFiY2Q=","salt":"c2FsdA==","hashIterations":"27500","algorithm":"pbkdf2-sha256"}`, passhash.Keycloak, "hashIterations is string, not a whole number"},
		{`{"value": "x"`, passhash.Keycloak, "the JSON ends before its object does"},
	} {
		_, err := passhash.Check(c.hash)
		var fe *passhash.FormatError
		if !errors.As(err, &fe) || fe.Format != c.format || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("Check(%q) = %v, want a %s format error saying %q", c.hash, err, c.format, c.reason)
		}
		if err != nil && strings.Contains(err.Error(), "Go ") {
			t.Errorf("Check(%q) = %v: Go's words", c.hash, err)
		}
	}
}
