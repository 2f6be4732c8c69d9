package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/meibo/meibo"
)

// Confirming a dry run: "Import now" submits a new job with the dry run's
// options and its kept file. A file that held passwords was kept without
// them once the dry run ended (redactFile: passwords are at rest only while
// a job waits and runs), so then the same file is chosen again and checked
// against the dry run's SHA-256; the options still come from the dry run.

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.confirm.not_dry": {"Only a dry run that succeeded can be imported for real.", "実際にインポートできるのは、成功したドライランだけです。"},
		"import.confirm.file":    {"The file held passwords, which are not kept after a dry run: choose the same file again to import it.", "ファイルにパスワードが含まれていたため、ドライラン後には保存されていません。インポートするには同じファイルをもう一度選択してください。"},
		"import.confirm.other":   {"This is not the file of the dry run (its SHA-256 differs): choose the same file.", "ドライランのファイルではありません(SHA-256 が異なります)。同じファイルを選択してください。"},
		"import.failed.one":      {"The file was refused: 1 error; nothing was written.", "ファイルは受け付けられませんでした。エラー 1件、何も書き込まれていません。"},
		"import.confirm.done":    {"This dry run was imported already, as import #%d: its page has the outcome. To import the file again, run it as a new import.", "このドライランはインポート済みです(インポート #%d)。結果はそのページにあります。もう一度インポートするには、新しいインポートとして実行してください。"},
		"bulk.confirm.done":      {"This preview was applied already, as job #%d: its page has the outcome.", "このプレビューは実行済みです(ジョブ #%d)。結果はそのページにあります。"},
		"import.confirm.racing":  {"This dry run is being imported by another request at this moment: see the import history.", "このドライランは、ほかの操作によってちょうどインポートされているところです。インポート履歴を確認してください。"},
	})
}

// FailedMsg is the outcome of a refused file with n errors, in the right
// number.
func FailedMsg(n int) meibo.Msg {
	if n == 1 {
		return meibo.M("import.failed.one")
	}
	return meibo.M("import.failed", n)
}

// ImportConfirmation says whether a job is a dry run that can be imported
// for real, and whether its file must be chosen again.
type ImportConfirmation struct {
	Possible  bool
	NeedsFile bool // the kept file lost its passwords: choose it again
}

// CanConfirmImport tells whether the dry run id can be imported for real by
// the actor, and how. A bulk action's preview is applied with the same
// request (ConfirmImport); its authority is the action's, checked then.
func (s *Service) CanConfirmImport(ctx context.Context, id int64) (*ImportConfirmation, error) {
	if req, err := s.bulkPreview(ctx, id); err != nil || req != nil {
		if c := meibo.ErrorCode(err); c == meibo.CodeForbidden || c == meibo.CodeConflict || c == meibo.CodeNotFound {
			return &ImportConfirmation{}, nil
		}
		return &ImportConfirmation{Possible: err == nil}, err
	}
	j, kept, err := s.dryRunFile(ctx, id)
	if err != nil {
		if c := meibo.ErrorCode(err); c == meibo.CodeForbidden || c == meibo.CodeConflict {
			return &ImportConfirmation{}, nil
		}
		return nil, err
	}
	return &ImportConfirmation{Possible: true, NeedsFile: !sameFile(j, kept)}, nil
}

// ConfirmImport submits a new job that imports the file of the dry run id
// with the same options. data is the file chosen again when the kept one
// lost its passwords (else nil); it must be the same file.
func (s *Service) ConfirmImport(ctx context.Context, id int64, data []byte) (*meibo.ImportJob, error) {
	if req, err := s.bulkPreview(ctx, id); err != nil {
		return nil, err
	} else if req != nil {
		req.DryRun, req.Confirms = false, id
		return s.SubmitBulk(ctx, *req)
	}
	j, kept, err := s.dryRunFile(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case data != nil:
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != j.SHA256 {
			return nil, meibo.FieldError("file", "import.confirm.other")
		}
	case sameFile(j, kept):
		data = kept
	default:
		return nil, meibo.FieldError("file", "import.confirm.file")
	}
	return s.SubmitImport(ctx, ImportRequest{Format: j.Format, GroupID: j.GroupID, Encoding: j.Encoding,
		UpdateExisting: j.UpdateExisting, SendInvitations: j.SendInvitations, FileName: j.FileName,
		AllowWeakHashes: j.AllowWeakHashes, Confirms: id}, data)
}

// dryRunFile loads a successful dry run the actor may import again, with
// its kept file.
func (s *Service) dryRunFile(ctx context.Context, id int64) (*meibo.ImportJob, []byte, error) {
	if _, err := require(ctx, meibo.AuthConsole, meibo.AuthImport); err != nil {
		return nil, nil, err
	}
	j, err := s.ImportJob(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !j.DryRun || j.Status != meibo.ImportSuccess {
		return nil, nil, meibo.Conflict("import.confirm.not_dry")
	}
	if j.ImportedAs != 0 {
		return nil, nil, meibo.Conflict("import.confirm.done", j.ImportedAs)
	}
	var data []byte
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		data, err = tx.ImportFile(ctx, id)
		return err
	})
	if err != nil && meibo.ErrorCode(err) != meibo.CodeNotFound {
		return nil, nil, err
	}
	return j, data, nil
}

// bulkPreview returns the request of the job id when it is a bulk action's
// successful preview (a dry run), and nil for any other import job.
func (s *Service) bulkPreview(ctx context.Context, id int64) (*BulkRequest, error) {
	// The job's kind first, as the system: an import's authority is
	// checked by dryRunFile, a bulk action's by bulkActor (and its group's
	// scope by SubmitBulk).
	var j *meibo.ImportJob
	var by int64
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		if j, err = tx.ImportJob(ctx, id); err != nil {
			return err
		}
		by, err = tx.ImportJobConfirmedBy(ctx, id)
		return err
	})
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, nil // dryRunFile says so, after the authority
	}
	if err != nil || !IsBulkFormat(j.Format) {
		return nil, err
	}
	if _, err := bulkActor(ctx, j.Format[len(bulkPrefix):]); err != nil {
		return nil, err
	}
	if !j.DryRun || j.Status != meibo.ImportSuccess || j.Request == "" {
		return nil, meibo.Conflict("import.confirm.not_dry")
	}
	if by != 0 {
		return nil, meibo.Conflict("bulk.confirm.done", by)
	}
	var req BulkRequest
	if err := json.Unmarshal([]byte(j.Request), &req); err != nil {
		return nil, fmt.Errorf("bulk request of job %d: %w", id, err)
	}
	return &req, nil
}

// sameFile reports whether data is the file the job was submitted with.
func sameFile(j *meibo.ImportJob, data []byte) bool {
	if len(data) == 0 && j.Size > 0 {
		return false
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) == j.SHA256
}
