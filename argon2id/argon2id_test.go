package argon2id

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	h, err := New(Default)
	if err != nil {
		t.Fatal(err)
	}
	kanji := strings.Repeat("漢", 64)
	for _, pw := range []string{"correct horse battery", kanji, kanji + "x"} {
		hash, err := h.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("hash %q is not the PHC form with the default parameters", hash)
		}
		ok, rehash, err := h.Verify(hash, pw)
		if err != nil || !ok || rehash {
			t.Fatalf("Verify(own hash) = %v, %v, %v", ok, rehash, err)
		}
	}
	// No truncation: two passwords that differ only after byte 72 differ.
	a, _ := h.Hash(kanji)
	if ok, _, _ := h.Verify(a, kanji+"x"); ok {
		t.Fatal("a longer password verified against the shorter one's hash")
	}
	if ok, _, _ := h.Verify(a, strings.Repeat("漢", 63)+"字"); ok {
		t.Fatal("the last character was not part of the hash")
	}
}

func TestUniqueSalts(t *testing.T) {
	h, _ := New(Default)
	a, _ := h.Hash("same password")
	b, _ := h.Hash("same password")
	if a == b {
		t.Fatal("two hashes of one password are equal: salts are not unique")
	}
}

func TestRehashAndBadInput(t *testing.T) {
	weak, err := New(Params{Memory: 46 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := weak.Hash("password one")
	h, _ := New(Default)
	ok, rehash, err := h.Verify(hash, "password one")
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify(other params) = %v, %v, %v; want ok and rehash", ok, rehash, err)
	}
	for _, bad := range []string{"", "$2y$10$abc", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA"} {
		if _, _, err := h.Verify(bad, "x"); err == nil {
			t.Errorf("Verify(%q) did not fail", bad)
		}
	}
}

func TestParamsFloor(t *testing.T) {
	if _, err := New(Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err == nil {
		t.Fatal("parameters below OWASP's minimum were accepted")
	}
}

// TestForTests: the test hasher makes real Argon2id hashes at its own small
// parameters, which New refuses; a hasher at other parameters verifies them
// and asks for a rehash.
func TestForTests(t *testing.T) {
	h := ForTests()
	if _, err := New(h.Params()); err == nil {
		t.Fatalf("New accepted the test parameters %+v", h.Params())
	}
	hash, err := h.Hash("test password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=8,t=1,p=1$") {
		t.Fatalf("hash %q is not the PHC form with the test parameters", hash)
	}
	if ok, rehash, err := h.Verify(hash, "test password"); err != nil || !ok || rehash {
		t.Fatalf("Verify(own hash) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(hash, "test passworD"); ok {
		t.Fatal("another password verified")
	}
	def, _ := New(Default)
	if ok, rehash, err := def.Verify(hash, "test password"); err != nil || !ok || !rehash {
		t.Fatalf("Verify with the default parameters = %v, %v, %v; want ok and rehash", ok, rehash, err)
	}
}

// BenchmarkHash measures one hash at the default parameters.
func BenchmarkHash(b *testing.B) {
	h, _ := New(Default)
	for b.Loop() {
		if _, err := h.Hash("benchmark password"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashAllCores reports this machine's argon2id hashes per second with
// every core busy: the ceiling for a bulk import with new passwords.
func BenchmarkHashAllCores(b *testing.B) {
	h, _ := New(Default)
	n := runtime.GOMAXPROCS(0)
	start := time.Now()
	total := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.Hash("benchmark password")
			}()
		}
		wg.Wait()
		total += n
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "hashes/s")
}

// TestPadded: a hash whose salt and key carry base64 padding, as other
// systems write them and meibo once stored them, verifies.
func TestPadded(t *testing.T) {
	h := ForTests()
	hash, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(hash, "$")
	parts[4] += "=="[:(4-len(parts[4])%4)%4] // 16 bytes: 22 characters and "=="
	parts[5] += "=="[:(4-len(parts[5])%4)%4] // 32 bytes: 43 characters and "="
	padded := strings.Join(parts, "$")
	if !strings.HasSuffix(padded, "=") {
		t.Fatalf("%s has no padding", padded)
	}
	if ok, _, err := h.Verify(padded, "correct horse battery"); !ok || err != nil {
		t.Errorf("Verify(%s) = %v, %v", padded, ok, err)
	}
}
