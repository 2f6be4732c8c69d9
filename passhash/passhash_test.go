package passhash_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/meibo/meibo/passhash"
)

const pw = "correct horse 7"

// Vectors made by other implementations: Python's hashlib (scrypt, PBKDF2,
// salted SHA), libsodium's scrypt test vector, the SHA-crypt specification's
// and the Argon2 reference implementation's examples.
var vectors = []struct {
	format, hash, password string
}{
	{passhash.Scrypt, "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$d..i6QCmom3rdo.qpl7ZW1gtYSCdg1QnJzViHFrj/TE", pw},
	{passhash.ScryptSalt, "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D", "pleaseletmein"},
	{passhash.PBKDF2, "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$9MLVlbR3Qt4RDp2SkvWlEslerRJPOAH5oirNE7jhQJY", pw},
	{passhash.PBKDF2, "$pbkdf2-sha512$i=1000,l=64$MDEyMzQ1Njc4OWFiY2RlZg$gF5PWfvHoAcsu6+Md0jJuO3CnQjGBxjrLaG6vSmHl5BT6uVdEBe9kMdzQY1rVxVLJgS8QgeZaIwxYXmvJBOGbw", pw},
	{passhash.Django, "pbkdf2_sha256$1000$saltysalt$621Beo5Wc6CyC7XGKgNNGT5Sg4EgRVC3qScvAqw+QF0=", pw},
	{passhash.Keycloak, `{"secretData": "{\"value\": \"vr/jzlAABEUnSH/PMV1r5hU4sxo9TWncpbZqgvL1oyj7jVBn8YoHBb1h+WvIiew8/6RbV587pO4yF6gMX46k/A==\", \"salt\": \"MDEyMzQ1Njc4OWFiY2RlZg==\", \"additionalParameters\": {}}", "credentialData": "{\"hashIterations\": 27500, \"algorithm\": \"pbkdf2-sha256\", \"additionalParameters\": {}}"}`, pw},
	{passhash.SSHA, "{SSHA}BYvR4bETSVq1m1qdhZDJylYzRixzYWx0MTIzNA==", pw},
	{passhash.SSHA256, "{SSHA256}Sne3QOSmnw15njHzhxFY4wFH1mcp12+B0l+LA4Jo3RVzYWx0MTIzNA==", pw},
	{passhash.SSHA512, "{SSHA512}d6UYKmY6CEEYYUzQM0tdaEdSs5Qh3cISmolxMOUq1m6PPL1IW+Fur8i3sXO7iCuC4DM+ubmCVWVfVhS1T2FbYXNhbHQxMjM0", pw},
	{passhash.SHA256, "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
	{passhash.SHA256, "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!"},
	{passhash.SHA512, "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"},
	{passhash.SHA512, "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "Hello world!"},
	{passhash.Argon2i, "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "password"},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		if got := passhash.Identify(v.hash); got != v.format {
			t.Errorf("Identify(%.20s…) = %q, want %q", v.hash, got, v.format)
		}
		if _, err := passhash.Check(v.hash); err != nil {
			t.Errorf("Check(%.20s…): %v", v.hash, err)
			continue
		}
		if ok, err := passhash.Verify(v.hash, v.password); !ok || err != nil {
			t.Errorf("Verify(%.20s…, right password) = %v, %v", v.hash, ok, err)
		}
		if ok, _ := passhash.Verify(v.hash, v.password+"x"); ok {
			t.Errorf("Verify(%.20s…, wrong password) = true", v.hash)
		}
	}
}

// Generated returns a hash of password in every format the vectors above do
// not cover with a fixed string: bcrypt's three prefixes, Argon2id.
func TestGenerated(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	enc := base64.RawStdEncoding.EncodeToString
	s256, _ := sha256_crypt.New().Generate([]byte(pw), []byte("$5$abcdefgh"))
	s512, _ := sha512_crypt.New().Generate([]byte(pw), []byte("$6$rounds=6000$abcdefgh"))
	for _, h := range []string{
		string(b), "$2a$" + string(b[4:]), "$2y$" + string(b[4:]),
		"$argon2id$v=19$m=8192,t=1,p=1$" + enc(salt) + "$" + enc(argon2.IDKey([]byte(pw), salt, 1, 8192, 1, 32)),
		"$argon2i$v=19$m=8192,t=1,p=1$" + enc(salt) + "$" + enc(argon2.Key([]byte(pw), salt, 1, 8192, 1, 32)),
		s256, s512,
	} {
		if ok, err := passhash.Verify(h, pw); !ok || err != nil {
			t.Errorf("Verify(%s) = %v, %v", h, ok, err)
		}
		if ok, _ := passhash.Verify(h, "Correct horse 7"); ok {
			t.Errorf("Verify(%s, wrong) = true", h)
		}
	}
}

func TestKeycloakStoredAsPHC(t *testing.T) {
	for _, v := range vectors {
		if v.format != passhash.Keycloak {
			continue
		}
		s, err := passhash.Check(v.hash)
		if err != nil || !strings.HasPrefix(s, "$pbkdf2-sha256$i=27500,l=64$") {
			t.Fatalf("Check = %q, %v", s, err)
		}
		if ok, err := passhash.Verify(s, pw); !ok || err != nil {
			t.Fatalf("Verify(stored) = %v, %v", ok, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct{ hash, format string }{
		{"$2b$10$short", passhash.Bcrypt},
		{"$2b$40$" + strings.Repeat("a", 53), passhash.Bcrypt},
		{"$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$abcdabcd", passhash.Argon2id},
		{"$argon2id$v=19$m=4,t=2,p=1$c29tZXNhbHQ$abcdabcd", passhash.Argon2id},
		{"$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$!!!", passhash.Argon2i},
		{"$scrypt$ln=40,r=8,p=1$c2FsdA$abcdabcd", passhash.Scrypt},
		{"$scrypt$n=10$c2FsdA$abcdabcd", passhash.Scrypt},
		{"$7$C6..../....SodiumChloride$short", passhash.ScryptSalt},
		{"$pbkdf2-md5$1000$c2FsdA$abcdabcd", passhash.PBKDF2},
		{"$pbkdf2-sha256$many$c2FsdA$abcdabcd", passhash.PBKDF2},
		{"pbkdf2_sha256$1000$salt", passhash.Django},
		{"pbkdf2_sha256$99999999999$salt$YWJjZGFiY2Q=", passhash.Django},
		{`{"value": "x"`, passhash.Keycloak},
		{`{"value":"YWJjZGFiY2Q=","salt":"c2FsdA==","hashIterations":1000,"algorithm":"bcrypt"}`, passhash.Keycloak},
		{"$5$saltstring$tooshort", passhash.SHA256},
		{"$6$rounds=x$salt$" + strings.Repeat("a", 86), passhash.SHA512},
		{"{SSHA}bm90IGxvbmc=", passhash.SSHA},
		{"{SSHA256}***", passhash.SSHA256},
		{"{SSHA512}YWJj", passhash.SSHA512},
	} {
		_, err := passhash.Check(c.hash)
		var fe *passhash.FormatError
		if !errors.As(err, &fe) || fe.Format != c.format {
			t.Errorf("Check(%q) = %v, want a %s format error", c.hash, err, c.format)
		}
	}
	for _, h := range []string{"", "plaintext", "$1$abc$def", "md5:abc"} {
		if _, err := passhash.Check(h); !errors.Is(err, passhash.ErrUnknown) {
			t.Errorf("Check(%q) = %v, want ErrUnknown", h, err)
		}
	}
}

func TestWeak(t *testing.T) {
	for _, v := range vectors {
		weak := strings.HasPrefix(v.format, "{SSHA")
		if passhash.Weak(v.hash) != weak {
			t.Errorf("Weak(%.20s…) = %v", v.hash, !weak)
		}
	}
}
