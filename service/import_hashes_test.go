package service_test

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

const legacyPassword = "Tidal-lantern-58"

// legacyHashes returns, by user name, a hash of legacyPassword in each format
// another system may hand over, made with the formats' own implementations
// (weak: the salted SHA ones).
func legacyHashes(t *testing.T) (strong, weak map[string]string) {
	t.Helper()
	pw := []byte(legacyPassword)
	salt := []byte("0123456789abcdef")
	std := base64.RawStdEncoding.EncodeToString
	ab64 := func(b []byte) string { return strings.ReplaceAll(std(b), "+", ".") }
	bc, err := bcrypt.GenerateFromPassword(pw, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := scrypt.Key(pw, salt, 1<<10, 8, 1, 32)
	pb := func(h func() hash.Hash, iter, n int, s []byte) []byte {
		k, err := pbkdf2.Key(h, legacyPassword, s, iter, n)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	secret, _ := json.Marshal(map[string]any{"value": base64.StdEncoding.EncodeToString(pb(sha256.New, 1000, 64, salt)), "salt": base64.StdEncoding.EncodeToString(salt)})
	cred, _ := json.Marshal(map[string]any{"hashIterations": 1000, "algorithm": "pbkdf2-sha256"})
	keycloak, _ := json.Marshal(map[string]string{"secretData": string(secret), "credentialData": string(cred)})
	s5, _ := sha256_crypt.New().Generate(pw, []byte("$5$rounds=5000$salty"))
	s6, _ := sha512_crypt.New().Generate(pw, []byte("$6$saltsaltsalt"))
	ssha := func(prefix string, h func() hash.Hash) string {
		d := h()
		d.Write(pw)
		d.Write([]byte("8salt"))
		return prefix + base64.StdEncoding.EncodeToString(append(d.Sum(nil), "8salt"...))
	}
	strong = map[string]string{
		"bcrypt2b":  string(bc),
		"bcrypt2a":  "$2a$" + string(bc[4:]),
		"bcrypt2y":  "$2y$" + string(bc[4:]),
		"argon2id":  "$argon2id$v=19$m=8192,t=1,p=1$" + std(salt) + "$" + std(argon2.IDKey(pw, salt, 1, 8192, 1, 32)),
		"argon2i":   "$argon2i$v=19$m=8192,t=1,p=1$" + std(salt) + "$" + std(argon2.Key(pw, salt, 1, 8192, 1, 32)),
		"scrypt":    "$scrypt$ln=10,r=8,p=1$" + ab64(salt) + "$" + ab64(sc),
		"pbkdf2":    "$pbkdf2-sha256$1000$" + ab64(salt) + "$" + ab64(pb(sha256.New, 1000, 32, salt)),
		"pbkdf2i":   "$pbkdf2-sha512$i=1000,l=64$" + std(salt) + "$" + std(pb(sha512.New, 1000, 64, salt)),
		"django":    "pbkdf2_sha256$1000$saltysalt$" + base64.StdEncoding.EncodeToString(pb(sha256.New, 1000, 32, []byte("saltysalt"))),
		"keycloak":  string(keycloak),
		"shacrypt5": s5,
		"shacrypt6": s6,
	}
	weak = map[string]string{
		"ssha":    ssha("{SSHA}", sha1.New),
		"ssha256": ssha("{SSHA256}", sha256.New),
		"ssha512": ssha("{SSHA512}", sha512.New),
	}
	return strong, weak
}

// hashFile is a users file of name, passwordHash, email (in the users
// format) or UserName, PasswordHash (personal).
func hashFile(t *testing.T, header []string, rows map[string]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for n, h := range rows {
		row := []string{n, h}
		if len(header) == 3 {
			row = append(row, "")
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// TestImportPasswordHashes imports one user per hash format; each signs in
// with the original password, after which the stored hash is Argon2id and
// still takes the password.
func TestImportPasswordHashes(t *testing.T) {
	strong, weak := legacyHashes(t)
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, hashFile(t, []string{"name", "passwordHash", "email"}, strong))
		e.wantSuccess(job, len(strong), 0, 0, 0)
		for n, u := range e.users("G1") {
			if n != "keycloak" && u.PasswordHash != strong[n] {
				t.Errorf("%s: stored %q, want the hash as given (never hashed again)", n, u.PasswordHash)
			}
		}
		// Weak ones need the import's permission, and are counted.
		job = e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, hashFile(t, []string{"name", "passwordHash", "email"}, weak))
		errs, _ := e.messages(job)
		if job.Status != meibo.ImportFailed || len(errs) != 3 {
			t.Fatalf("weak hashes without permission: %s, %v", job.Status, errs)
		}
		for _, m := range errs {
			if m.Column != "passwordHash" || !strings.Contains(m.Text, "weak format") || !strings.Contains(m.Text, "{SSHA") || m.Row < 2 {
				t.Errorf("message %+v", m)
			}
		}
		job = e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", AllowWeakHashes: true}, hashFile(t, []string{"name", "passwordHash", "email"}, weak))
		e.wantSuccess(job, len(weak), 0, 0, 0)
		_, warns := e.messages(job)
		e.wantMessages("warnings", warns, ixWant{0, "", "3 users of this group have a password hash of a weak format"})
		weakOnes, err := e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1", WeakHash: true})
		if err != nil || len(weakOnes.Users) != 3 {
			t.Fatalf("weak filter: %v, %v", weakOnes, err)
		}

		all := map[string]string{}
		for n, h := range strong {
			all[n] = h
		}
		for n, h := range weak {
			all[n] = h
		}
		for n := range all {
			if _, _, err := e.svc.PortalSignIn(e.sys, "G1", n, legacyPassword+"!", "192.0.2.9", "test", meibo.English); err == nil {
				t.Errorf("%s: a wrong password signed in", n)
			}
			if _, _, err := e.svc.PortalSignIn(e.sys, "G1", n, legacyPassword, "192.0.2.9", "test", meibo.English); err != nil {
				t.Errorf("%s: sign-in with the original password: %v", n, err)
				continue
			}
			u := e.users("G1")[n]
			if p, _, _, err := argon2id.Decode(u.PasswordHash); err != nil || p.Memory != e.hasher.Params().Memory || !e.verify(u.PasswordHash, legacyPassword) {
				t.Errorf("%s: after sign-in the hash is %.30s…", n, u.PasswordHash)
			}
		}
		if weakOnes, _ := e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1", WeakHash: true}); len(weakOnes.Users) != 0 {
			t.Errorf("weak hashes left after sign-in: %d", len(weakOnes.Users))
		}
	})
}

// TestImportMalformedHashes refuses a malformed hash of each format, naming
// the row and the format it looks like; a row with both a password and a
// hash, and a personal file, likewise.
func TestImportMalformedHashes(t *testing.T) {
	bad := []struct{ hash, format string }{
		{"$2b$10$tooshort", "bcrypt"},
		{"$argon2id$v=19$m=65536$c2FsdHNhbHQ$aGFzaGhhc2g", "argon2id"},
		{"$argon2i$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$***", "argon2i"},
		{"$scrypt$ln=99,r=8,p=1$c2FsdA$aGFzaGhhc2g", "scrypt"},
		{"$7$C6..../....salt$short", "scrypt ($7$)"},
		{"$pbkdf2-md5$1000$c2FsdA$aGFzaGhhc2g", "PBKDF2"},
		{"pbkdf2_sha256$lots$salt$aGFzaGhhc2g=", "Django PBKDF2"},
		{`{"algorithm": "bcrypt"}`, "Keycloak PBKDF2"},
		{"$5$salt$short", "SHA-crypt ($5$)"},
		{"$6$salt$short", "SHA-crypt ($6$)"},
		{"{SSHA}c2hvcnQ=", "{SSHA}"},
		{"{SSHA256}c2hvcnQ=", "{SSHA256}"},
		{"{SSHA512}c2hvcnQ=", "{SSHA512}"},
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{"name", "password", "email", "passwordHash"})
		var want []ixWant
		for i, c := range bad {
			w.Write([]string{fmt.Sprintf("user%02d", i), "", "", c.hash})
			want = append(want, ixWant{i + 2, "passwordHash", "looks like " + c.format + " but is malformed"})
		}
		w.Write([]string{"both", "Tidal-lantern-58", "", "$2b$10$tooshort"})
		want = append(want, ixWant{len(bad) + 2, "passwordHash", "Both password and a password hash"})
		w.Write([]string{"unknown", "", "", "md5:0123"})
		want = append(want, ixWant{len(bad) + 3, "passwordHash", "of no known format"})
		w.Flush()
		snap := e.snapshot()
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", AllowWeakHashes: true}, b.Bytes())
		e.wantFailed(job, want...)
		e.sameSnapshot(snap, "a file of malformed hashes")

		// The personal format takes PasswordHash in place of Password.
		e.user("G1", service.UserInput{Name: "User001"})
		e.user("G1", service.UserInput{Name: "User002"})
		strong, _ := legacyHashes(t)
		data := []byte("UserName,PasswordHash,Passcode\r\nUser001," + strong["shacrypt6"] + ",\r\nUser002,$6$salt$short,\r\n")
		job = e.run(service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}, data)
		e.wantFailed(job, ixWant{3, "PasswordHash", "looks like SHA-crypt ($6$)"})
		data = []byte("UserName,PasswordHash,Passcode\r\nUser001," + strong["shacrypt6"] + ",\r\n")
		job = e.run(service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}, data)
		e.wantSuccess(job, 0, 1, 0, 0)
		if _, _, err := e.svc.PortalSignIn(e.sys, "G1", "User001", legacyPassword, "192.0.2.9", "test", meibo.English); err != nil {
			t.Errorf("sign-in after a personal file of hashes: %v", err)
		}
	})
}

// TestUserPasswordHashAPI sets a hash through the service's user create and
// update, as the JSON API does: malformed and weak ones are refused on
// field passwordHash.
func TestUserPasswordHashAPI(t *testing.T) {
	strong, weak := legacyHashes(t)
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "moved", PasswordHash: strong["bcrypt2y"]})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.PortalSignIn(e.sys, "G1", "moved", legacyPassword, "192.0.2.9", "test", meibo.English); err != nil {
			t.Fatalf("sign-in: %v", err)
		}
		for _, h := range []string{"$2b$10$tooshort", weak["ssha"]} {
			if _, err := e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{PasswordHash: &h}); meibo.ErrorCode(err) != meibo.CodeInvalid || meibo.AsError(err).Fields["passwordHash"].Key == "" {
				t.Errorf("update with %q: %v", h, err)
			}
		}
		h := strong["django"]
		if _, err := e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{PasswordHash: &h}); err != nil {
			t.Fatal(err)
		}
		if got := e.users("G1")["moved"].PasswordHash; got != h {
			t.Errorf("stored %q", got)
		}
		pw := legacyPassword
		if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "both", Password: pw, PasswordHash: h}); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Errorf("password and hash: %v", err)
		}
	})
}
