package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
)

// PostgreSQL finds a keyword of three characters or more through its GIN
// trigram index (user_search_text, migrations 0023 and 0025), which
// intersects the posting lists of the keyword's trigrams and reads each of
// them whole. A trigram that most users hold costs the search most of its time and
// narrows it hardly at all: "use", "ser" and "er0" of user012345 are each
// in 800,000 of the search benchmark's 1,000,000 users, and asking for them
// took 13 of the search's 14 ms; "r012345", the rest of the keyword, finds
// the same 7 users in 0.9 ms (EXPLAIN (ANALYZE, BUFFERS): 52 pages of the
// index read instead of 876).
//
// pg_trgm keeps no count of each trigram's users, but the planner's
// statistics hold a sample of the indexed text: the histogram of the index's
// expression (about a hundred values spread over the whole table, which
// ANALYZE keeps current). The index is asked for the parts of the keyword
// between the trigrams that at least half of that sample holds, and each
// user it returns is checked for the whole keyword (strpos: a condition the
// index does not answer). A keyword is asked for whole, as before, when the
// sample is missing (a table not yet analyzed) or too small, when none of
// its trigrams is common, and when all of them are.

// searchTexts is PostgreSQL's source of the texts of its trigram index and
// of the users waiting for it, as one relation (id, group_id, name_fold,
// name, email_key). The index is on user_search (migration 0025), which
// holds a row per indexed user; the users an import or a restore writes
// wait in user_grams_pending until the indexer writes them there. Each user
// is in exactly one of the two. A condition on the relation's folded name
// and e-mail key (ContainsCond, indexCond) reaches both tables, and the
// index answers it on user_search.
const searchTexts = `(SELECT user_id AS id, group_id, name_fold, name, email_key FROM user_search
	UNION ALL SELECT user_id, group_id, name_fold, name, email_key FROM user_grams_pending)`

const (
	// sampleTTL is how long a sample is used before it is read again.
	sampleTTL = 10 * time.Minute
	// sampleMin is the smallest sample that tells a common trigram.
	sampleMin = 20
)

// textSample is a store's sample of the text its trigram index holds.
type textSample struct {
	mu    sync.Mutex
	at    time.Time // when texts was read; zero: never
	texts []string
}

// get returns the sample, read again through tx when older than sampleTTL.
// A failed read leaves no sample (keywords are asked for whole) until the
// next try.
func (s *textSample) get(ctx context.Context, t *Tx) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.at.IsZero() && time.Since(s.at) < sampleTTL {
		return s.texts
	}
	texts, err := readSample(ctx, t)
	if err != nil {
		texts = nil
	}
	s.texts, s.at = texts, time.Now()
	return s.texts
}

// readSample reads the histogram and the most common values that ANALYZE
// keeps of the expression of user_search_text, the trigram index, in the
// current schema.
func readSample(ctx context.Context, t *Tx) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT v FROM pg_stats s,
		unnest(coalesce(s.histogram_bounds::text::text[], '{}') || coalesce(s.most_common_vals::text::text[], '{}')) AS v
		WHERE s.schemaname = current_schema() AND s.tablename = 'user_search_text'`)
	if err != nil {
		return nil, fmt.Errorf("read the index statistics: %w", err)
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read the index statistics: %w", err)
		}
		texts = append(texts, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the index statistics: %w", err)
	}
	return texts, nil
}

// indexParts returns the parts of the folded keyword kw to ask the trigram
// index for, given a sample of the indexed text: kw cut at each trigram (three
// letters or digits) that at least half of the sample holds, each part a
// run of the others. nil asks for kw whole: a keyword with a space (it is
// checked on the name and the e-mail key apart), a sample too small to tell,
// a keyword with no common trigram or with nothing else.
func indexParts(kw string, sample []string) []string {
	r := []rune(kw)
	if len(r) < 4 || len(sample) < sampleMin || strings.ContainsRune(kw, ' ') {
		return nil
	}
	word := func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }
	common := func(tri string) bool {
		n := 0
		for _, s := range sample {
			if strings.Contains(s, tri) {
				n++
			}
		}
		return 2*n >= len(sample)
	}
	var parts []string
	cut := false
	start := -1 // the first rune of the current run of trigrams
	end := func(i int) {
		if start >= 0 {
			parts = append(parts, string(r[start:i+2]))
		}
		start = -1
	}
	for i := 0; i+3 <= len(r); i++ {
		switch {
		case !word(r[i]) || !word(r[i+1]) || !word(r[i+2]):
			// Not a trigram of pg_trgm's: a word ends there.
			end(i)
		case common(string(r[i : i+3])):
			cut = true
			end(i)
		case start < 0:
			start = i
		}
	}
	end(len(r) - 2)
	if !cut || len(parts) == 0 {
		return nil
	}
	return parts
}

// indexCond is the keyword's condition on alias a for a statement that the
// trigram index answers (PostgreSQL): likeCond, or, where the keyword has
// common trigrams (see indexParts), its other parts anywhere in the indexed
// text and the keyword itself checked on each row the index returns.
func (s *userSearch) indexCond(q *stmt, a string) string {
	if s.parts == nil {
		return s.likeCond(q, a)
	}
	expr := "(" + a + ".name_fold || ' ' || " + a + ".email_key)"
	var and []string
	for _, p := range s.parts {
		and = append(and, expr+" LIKE "+q.arg("%"+escapeLike(p)+"%")+" ESCAPE '\\'")
	}
	and = append(and, "strpos("+expr+", "+q.arg(s.kw)+") > 0")
	return "(" + strings.Join(and, " AND ") + ")"
}
