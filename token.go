package meibo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// NewToken returns a new secret of 256 bits from crypto/rand, prefixed so that
// secret scanners and people recognise it, and the hash under which it is
// stored. The secret itself is never stored.
func NewToken(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("meibo: crypto/rand failed: " + err.Error())
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken returns the stored form of a token: its SHA-256 in hex. Tokens
// carry 256 bits of randomness, so a fast hash is enough.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// APIToken is a bearer token of an administrator for the JSON API.
type APIToken struct {
	Hash       string     `json:"-"`
	Ref        string     `json:"ref"` // the start of Hash: names a token in lists without revealing it
	AdminID    int64      `json:"adminId"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// NewGUID returns a random (version 4) UUID in upper case, as the
// administrator file shows user identification information.
func NewGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("meibo: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789ABCDEF"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[x>>4], hexd[x&0xf])
	}
	return string(out)
}

// Session kinds.
const (
	SessionConsole = "console" // an administrator in the console
	SessionPortal  = "portal"  // a device user in the personal portal
)

// Session is a signed-in browser. The cookie holds a secret; only its hash
// is stored, with the CSRF token that the session's forms carry.
type Session struct {
	Hash       string
	Kind       string
	AdminID    *int64
	UserID     *int64
	CSRF       string
	Lang       Lang
	Addr       string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end; the idle timeout counts from LastSeenAt
	Methods    string    // how it signed in (console sessions; see factor.go)
	Stage      string    // what it still lacks: StageComplete, StageSecond, StageSetup
	// IDToken is the ID token of a console session made through an
	// identity provider, kept server-side only for its sign-out
	// (id_token_hint); "" for any other.
	IDToken string
}
