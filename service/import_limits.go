package service

import (
	"context"
	"io"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// The bounds of imports. A file is bounded by csvio (columns, bytes of a
// row and of a value) and here by its data rows; a job keeps its first
// messages and counts the rest; a group and a submitter have a few imports
// waiting or running at once. Each refusal names its limit and the flag
// that sets it, and writes nothing of the file.
const (
	// DefaultImportMaxRows is the row limit of files uploaded over HTTP
	// (meibo serve); the command line has none unless asked.
	DefaultImportMaxRows = 1_000_000
	// DefaultImportMaxMessages is how many errors and warnings a job keeps.
	DefaultImportMaxMessages = 1000
	// DefaultImportMaxActive is how many imports of one group, and of one
	// submitter, may wait or run at once.
	DefaultImportMaxActive = 3
)

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.no_rows": {"The file has no data rows, only its header: there was nothing to import.", "ファイルにはヘッダーだけがあり、データ行がありません。インポートするものはありませんでした。"},
		"import.limit.rows": {"The file has more than %s data rows, the limit of one import; nothing was written. Split it into smaller files, or raise the limit with the --import-max-rows flag (MEIBO_IMPORT_MAX_ROWS).",
			"ファイルのデータ行が1回のインポートの上限の%s行を超えているため、何も書き込みませんでした。ファイルを分割するか、--import-max-rows フラグ(MEIBO_IMPORT_MAX_ROWS)で上限を上げてください。"},
		"import.limit.group": {"The group %s has %d imports waiting or running already, the limit; nothing was submitted. Submit again when one has ended (the limit is set by the --import-max-per-group flag, MEIBO_IMPORT_MAX_PER_GROUP).",
			"グループ %s には実行待ちまたは実行中のインポートが既に上限の%d件あるため、受け付けませんでした。いずれかが終わってから再度実行してください(上限は --import-max-per-group フラグ、MEIBO_IMPORT_MAX_PER_GROUP で設定します)。"},
		"import.limit.admin": {"You have %d imports waiting or running already, the limit; nothing was submitted. Submit again when one has ended (the limit is set by the --import-max-per-admin flag, MEIBO_IMPORT_MAX_PER_ADMIN).",
			"実行待ちまたは実行中のインポートが既に上限の%d件あるため、受け付けませんでした。いずれかが終わってから再度実行してください(上限は --import-max-per-admin フラグ、MEIBO_IMPORT_MAX_PER_ADMIN で設定します)。"},
	})
}

// maxMessages is how many messages a job keeps.
func (s *Service) maxMessages() int {
	if s.cfg.ImportMaxMessages > 0 {
		return s.cfg.ImportMaxMessages
	}
	return DefaultImportMaxMessages
}

// maxActive reads a limit of imports at once: 0 is the default, < 0 none.
func maxActive(n int) int {
	if n == 0 {
		return DefaultImportMaxActive
	}
	return n
}

// checkActiveImports refuses a new job of a group or a submitter that has
// as many imports waiting or running as the limit. It runs in the
// transaction that records the job, serialised with every other submission,
// so that parallel submissions cannot pass the limit together.
func (s *Service) checkActiveImports(ctx context.Context, tx meibo.Tx, job *meibo.ImportJob) error {
	perGroup, perAdmin := maxActive(s.cfg.ImportMaxPerGroup), maxActive(s.cfg.ImportMaxPerAdmin)
	if perGroup < 0 && perAdmin < 0 {
		return nil
	}
	if err := tx.Lock(ctx, "import-submit"); err != nil {
		return err
	}
	inGroup, mine, err := tx.ActiveImports(ctx, job.GroupID, job.CreatedBy)
	if err != nil {
		return err
	}
	switch {
	case perGroup >= 0 && job.GroupID != "" && inGroup >= perGroup:
		return meibo.Errorf(meibo.CodeRateLimited, "import.limit.group", job.GroupID, perGroup)
	case perAdmin >= 0 && mine >= perAdmin:
		return meibo.Errorf(meibo.CodeRateLimited, "import.limit.admin", perAdmin)
	}
	return nil
}

// overRows reports whether the job's file has more data rows than the limit.
// A file with no more line breaks than the limit cannot; another is counted
// in a pass of its own before any row is checked, so that a file over the
// limit fails with that one message.
func (r *jobRun) overRows() (bool, error) {
	limit := r.s.cfg.ImportMaxRows
	if limit <= 0 {
		return false, nil
	}
	if lines, err := countLines(r.ctx, r.file); err != nil {
		return false, err
	} else if lines <= limit {
		return false, nil
	}
	f, err := r.file.open(r.ctx)
	if err != nil {
		return false, err
	}
	defer f.Close()
	rd, err := r.s.openJobFile(f, r.job)
	if err != nil {
		if meibo.ErrorCode(err) == meibo.CodeInternal {
			return false, err
		}
		return false, nil // refused as a whole: the validation says why
	}
	for n := 0; n <= limit; n++ {
		if _, err := rd.Next(); err == io.EOF {
			return false, nil
		} else if err != nil {
			if meibo.ErrorCode(err) == meibo.CodeInternal {
				return false, err
			}
			return false, nil
		}
		if n%batchRows == 0 {
			if err := r.ctx.Err(); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// formatCount writes n with thousands separators: "1,000,000".
func formatCount(n int) string {
	s := strconv.Itoa(n)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeNote adds the note of kept messages to an errors file.
func writeNote(ew *csvio.ErrorsWriter, note meibo.Msg) error {
	if note.Key == "" {
		return nil
	}
	return ew.Write(meibo.NewImportMessage(0, "", note, true))
}
