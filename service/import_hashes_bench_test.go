package service_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/store/storetest"
)

// BenchmarkImportUsersHashed imports 100,000 new users each with a bcrypt
// hash (passwordHash) and, for comparison, the same users without
// passwords. Hashes are checked for form and stored as they are, so both
// should run at about the same speed.
func BenchmarkImportUsersHashed(b *testing.B) {
	const rows = 100_000
	h, err := bcrypt.GenerateFromPassword([]byte("Tidal-lantern-58"), 10)
	if err != nil {
		b.Fatal(err)
	}
	var hashed bytes.Buffer
	hashed.WriteString("name,passwordHash,email\r\n")
	for i := range rows {
		fmt.Fprintf(&hashed, "user%07d,%s,user%07d@example%d.org\r\n", i, h, i, i%7)
	}
	plain := usersFile(rows, false)
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			var withHash, without time.Duration
			for b.Loop() {
				b.StopTimer()
				svc, ctx := benchService(b, engine, argon2id.Default)
				svc2, ctx2 := benchService(b, engine, argon2id.Default)
				b.StartTimer()
				t0 := time.Now()
				runImport(b, svc, ctx, hashed.Bytes(), false)
				t1 := time.Now()
				runImport(b, svc2, ctx2, plain, false)
				withHash += t1.Sub(t0)
				without += time.Since(t1)
			}
			b.ReportMetric(float64(rows*b.N)/withHash.Seconds(), "hashed-rows/s")
			b.ReportMetric(float64(rows*b.N)/without.Seconds(), "plain-rows/s")
		})
	}
}
