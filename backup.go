package meibo

import "time"

// BackupInfo describes a backup file: what its header and manifest say, as
// checked while reading it.
type BackupInfo struct {
	Format    int           `json:"format"`    // version of the file format
	Schema    string        `json:"schema"`    // last migration of the database it came from
	Meibo     string        `json:"meibo"`     // version of the meibo that wrote it
	Engine    string        `json:"engine"`    // engine it came from ("sqlite", "postgres")
	CreatedAt time.Time     `json:"createdAt"` // when the snapshot was taken
	Tables    []BackupTable `json:"tables"`    // streams in file order
	Rows      int64         `json:"rows"`      // rows of every table
	Size      int64         `json:"size"`      // bytes of the file (compressed)
	// LogID is the backup log entry of the backup that wrote the file (0:
	// none), so that a restore can record how that backup ended.
	LogID int64 `json:"logId,omitempty"`
}

// BackupTable is one table's stream in a backup file.
type BackupTable struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"` // of the stream's lines, uncompressed
}

// BackupLogEntry is one backup or restore, made by hand or on schedule.
type BackupLogEntry struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"` // "backup" or "restore"
	Via        string     `json:"via"`  // "manual" or "scheduled"
	Slot       string     `json:"slot,omitempty"`
	Actor      string     `json:"actor"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	File       string     `json:"file"`
	Size       int64      `json:"size"`
	Tables     int        `json:"tables"`
	Rows       int64      `json:"rows"`
	Outcome    string     `json:"outcome"` // "running", "ok" or "failed"
	Error      string     `json:"error,omitempty"`
}

func init() {
	RegisterMessages(map[string][2]string{
		"backup.not_backup":         {"This is not a meibo backup file: %s", "meibo のバックアップファイルではありません: %s"},
		"backup.newer_format":       {"The backup file has format version %d; this meibo reads up to version %d. Use a newer meibo.", "バックアップファイルの形式はバージョン %d です。この meibo が読めるのはバージョン %d までです。新しい meibo を使用してください。"},
		"backup.newer_schema":       {"The backup comes from a newer database schema (%s) than this meibo knows (%s). Upgrade meibo before restoring it.", "バックアップはこの meibo が知るもの (%[2]s) より新しいデータベーススキーマ (%[1]s) のものです。復元する前に meibo を更新してください。"},
		"backup.damaged":            {"The backup file is damaged: %s", "バックアップファイルが破損しています: %s"},
		"backup.truncated":          {"The backup file is incomplete (cut short): %s", "バックアップファイルが途中で切れています: %s"},
		"backup.checksum":           {"The backup file is damaged: the stream of table %s does not match its checksum or row count.", "バックアップファイルが破損しています: テーブル %s のデータがチェックサムまたは行数と一致しません。"},
		"backup.not_empty":          {"The database is not empty (table %s holds rows). Restore into a new database, or replace its contents on purpose (meibo restore --replace; the console's restore replaces them).", "データベースが空ではありません (テーブル %s に行があります)。新しいデータベースに復元するか、内容を置き換えることを明示してください (meibo restore --replace。コンソールの復元は内容を置き換えます)。"},
		"backup.schema":             {"The backup does not fit this database's schema: %s", "バックアップがこのデータベースのスキーマに合いません: %s"},
		"backup.user_profile_group": {"Users of the backup have a profile of another group, which this database does not allow: %d, among them %s. Give each of them a profile of their own group where the backup was made, and back it up again.", "バックアップには別のグループのプロファイルを持つユーザーがあり、このデータベースでは認められません: %d 人 (%s など)。バックアップ元で各ユーザーに自分のグループのプロファイルを設定してから、もう一度バックアップしてください。"},
		"backup.outdated":           {"The database needs migrations first (%s).", "データベースに未適用のマイグレーションがあります (%s)。"},
	})
}

// BackupSettings are the automatic backups: when (Schedule: "" for none,
// "daily HH:MM" in the configured time zone, or "every N h"), where (Dir,
// an absolute folder on the server) and how many files to keep.
type BackupSettings struct {
	Schedule string `json:"schedule"`
	Dir      string `json:"dir"`
	Keep     int    `json:"keep"`
	// Since is when Schedule was set, kept by the service with the
	// settings and not shown: a scheduled time before it is not backed up
	// (a schedule set at 01:41 for "daily 01:43" waits two minutes, not
	// for yesterday's 01:43). Zero in settings of older versions.
	Since time.Time `json:"since,omitzero"`
}
