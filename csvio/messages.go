package csvio

import "github.com/meibo/meibo"

func init() { meibo.RegisterMessages(messages) }

// messages are the catalogue entries of this package, English and Japanese.
// Each says what is wrong and what to do about it.
var messages = map[string][2]string{
	// Rendering a problem with its place.
	"csv.at.row":  {"Row %d: %s", "%d行目: %s"},
	"csv.at.cell": {"Row %d, column %s: %s", "%d行目、列「%s」: %s"},

	// Choosing what to read.
	"csv.format.unknown":   {"Unknown file format %q; the formats are personal, users, admins and devices.", "不明なファイル形式「%s」です。personal、users、admins、devices のいずれかを指定してください。"},
	"csv.encoding.unknown": {"Unknown encoding %q; choose auto, utf-8 or cp932 (Shift_JIS).", "不明な文字コード「%s」です。auto、utf-8、cp932(Shift_JIS)のいずれかを指定してください。"},
	"csv.encoding.mixed":   {"The value reads as %q in UTF-8, but was read as %q in Shift_JIS (CP932), the encoding detected for the file because other rows are not UTF-8: the file seems to mix both encodings. Save the whole file in one encoding and upload it again; if the Shift_JIS reading is right, choose Shift_JIS (cp932) as the file's encoding.", "この値はUTF-8では「%s」と読めますが、ファイルの他の行がUTF-8でないため、Shift_JIS(CP932)として「%s」と読み込みました。ファイルに2つの文字コードが混在しているようです。ファイル全体を1つの文字コードで保存して、もう一度アップロードしてください。Shift_JISでの読み方が正しい場合は、ファイルの文字コードとしてShift_JIS(cp932)を指定してください。"},
	"csv.encoding.both":    {"The value was read as %q in Shift_JIS (CP932), the encoding detected for the file; in UTF-8 it would read as %q. If that is the right reading, the file mixes encodings: save it in one encoding and upload it again.", "この値はファイルの文字コードとして判定したShift_JIS(CP932)で「%s」と読み込みました。UTF-8では「%s」と読めます。そちらが正しい場合はファイルに文字コードが混在しています。1つの文字コードで保存して、もう一度アップロードしてください。"},
	"csv.encoding.write":   {"Files can be written in utf-8 or cp932 only, not %q.", "ファイルは utf-8 または cp932 でのみ書き出せます(指定: %q)。"},

	// The file as a whole.
	"csv.empty":     {"The file is empty. Save the data as CSV with its header row and upload it again.", "ファイルが空です。見出し行を含めてCSV形式で保存し、もう一度アップロードしてください。"},
	"csv.zip":       {"This is a ZIP or Excel (.xlsx) file; save it as CSV (UTF-8 or Shift_JIS) and upload it again.", "ZIPまたはExcel(.xlsx)のファイルです。CSV形式(UTF-8またはShift_JIS)で保存し、もう一度アップロードしてください。"},
	"csv.xls":       {"This is an old Excel (.xls) file; save it as CSV (UTF-8 or Shift_JIS) and upload it again.", "旧形式のExcel(.xls)ファイルです。CSV形式(UTF-8またはShift_JIS)で保存し、もう一度アップロードしてください。"},
	"csv.utf16":     {"UTF-16 is not supported; save as UTF-8 or Shift_JIS (CSV) and upload it again.", "UTF-16には対応していません。UTF-8またはShift_JISのCSV形式で保存し、もう一度アップロードしてください。"},
	"csv.binary":    {"This is not a CSV text file: it holds binary data (a NUL byte at byte %d). Save the data as CSV (UTF-8 or Shift_JIS) and upload it again.", "CSVのテキストファイルではありません(%dバイト目にNULバイトがあるバイナリデータです)。CSV形式(UTF-8またはShift_JIS)で保存し、もう一度アップロードしてください。"},
	"csv.too_large": {"The file is larger than the limit of %s. Split it into smaller files and upload them one by one.", "ファイルが上限の%sを超えています。複数のファイルに分割して、1つずつアップロードしてください。"},
	"csv.bom.cp932": {"The file starts with a UTF-8 byte order mark (BOM), but Shift_JIS (CP932) was chosen, so it was read as Shift_JIS. If characters come out wrong, choose UTF-8 or auto and upload it again.", "ファイルの先頭にUTF-8のBOMがありますが、Shift_JIS(CP932)が指定されたためShift_JISとして読み込みました。文字化けする場合は UTF-8 または自動判別を指定して、もう一度アップロードしてください。"},

	// The header (title) row.
	"csv.header.problems":       {"The header (row 1) has %d problems; see each column.", "見出し行(1行目)に%d件の問題があります。各列を確認してください。"},
	"csv.header.first_row":      {"Row 1 is blank, but the header must be in row 1 (the first row with values is row %d). Delete the blank rows above the header and upload the file again.", "1行目が空です。見出しは1行目に置いてください(値のある最初の行は%d行目です)。見出しより上の空行を削除して、もう一度アップロードしてください。"},
	"csv.header.unknown":        {"Unknown column %q. The columns are %s; correct the name or delete the column.", "不明な列「%s」です。列名は %s です。列名を修正するか、列を削除してください。"},
	"csv.header.case_sensitive": {"Unknown header item %q: header items are case-sensitive; write %s.", "不明な見出し「%s」です。見出しは大文字と小文字を区別します。%s と書いてください。"},
	"csv.header.case":           {"The column %q was read as %s; write it as %[2]s next time.", "列「%s」を %s として読み込みました。次回からは %[2]s と書いてください。"},
	"csv.header.spaces":         {"The header item %q has spaces around it; they were ignored.", "見出し「%s」の前後に空白があります。空白は無視しました。"},
	"csv.header.blank":          {"Column %d of the header has no name. Name it or delete the empty column (look for a comma at the end of the header).", "見出しの%d列目に名前がありません。列名を付けるか、空の列を削除してください(見出しの末尾に余分なカンマがないか確認してください)。"},
	"csv.header.duplicate":      {"The column %s appears twice in the header (columns %d and %d); keep one.", "列「%s」が見出しに2回あります(%d列目と%d列目)。1つにしてください。"},
	"csv.header.missing":        {"The required column %s is missing from the header; add it.", "必須の列「%s」が見出しにありません。追加してください。"},
	"csv.separator":             {"The header is one single column with %s in it: the values seem to be separated by %[1]s, not by commas. Save the file as CSV (comma-separated) and upload it again.", "見出しが1列だけで、その中に%sが含まれています。値がカンマではなく%[1]sで区切られているようです。CSV(カンマ区切り)形式で保存し、もう一度アップロードしてください。"},
	"csv.line_breaks":           {"The header holds a CR character: the file seems to use old Mac line breaks (CR only). Save it with CRLF or LF line breaks and upload it again.", "見出しにCR文字が含まれています。古いMac形式の改行(CRのみ)のようです。改行をCRLFまたはLFにして保存し、もう一度アップロードしてください。"},

	// CSV syntax of a row.
	"csv.row.blank":          {"The row is blank and was skipped.", "空の行のため読み飛ばしました。"},
	"csv.fields":             {"The row has %d values, but the header has %d columns. Look for a missing or extra comma, or a value with a comma that is not in double quotes.", "この行の値は%d個ですが、見出しは%d列です。カンマの過不足や、カンマを含むのにダブルクォートで囲まれていない値がないか確認してください。"},
	"csv.row.cr":             {"The row holds a CR character, a line break of old Mac files (CR only), so the lines after it were read as part of this row. Save the file with CRLF or LF line breaks and upload it again.", "この行にCR文字があります。古いMac形式の改行(CRのみ)のため、後の行がこの行の一部として読み込まれました。改行をCRLFまたはLFにして保存し、もう一度アップロードしてください。"},
	"csv.quote.bare":         {"A double quote (\") is inside a value that does not start with one. Put the whole value in double quotes and write the quote twice (\"\"), or delete it.", "ダブルクォートで始まらない値の中にダブルクォート(\")があります。値全体をダブルクォートで囲んで中のダブルクォートを2つ重ねる(\"\")か、削除してください。"},
	"csv.quote.extra":        {"A value in double quotes goes on after its closing quote. Inside a quoted value write a double quote twice (\"\"), and put a comma right after the closing quote.", "ダブルクォートで囲まれた値が、閉じるダブルクォートの後にも続いています。囲まれた値の中のダブルクォートは2つ重ね(\"\")、閉じるダブルクォートの直後にはカンマを置いてください。"},
	"csv.quote.unterminated": {"A value in double quotes that starts in this row is never closed: there is no closing double quote (\") before the end of the file, so the rest of the file could not be read. Add the missing double quote.", "この行で始まるダブルクォートで囲まれた値が閉じられていません。ファイルの終わりまで閉じるダブルクォート(\")がないため、以降を読み込めませんでした。足りないダブルクォートを追加してください。"},
	"csv.syntax":             {"The row cannot be read as CSV (%s). Check its double quotes and commas.", "この行をCSVとして読み込めません(%s)。ダブルクォートとカンマを確認してください。"},

	// Bytes that are not text in the encoding.
	"csv.bytes.cp932":       {"Bytes %s at byte %d are not valid Shift_JIS (CP932). Correct the value; if the file is in another encoding, choose it (or auto) and upload the file again.", "%[2]dバイト目のバイト列 %[1]s はShift_JIS(CP932)として正しくありません。値を修正してください。別の文字コードのファイルであれば、その文字コード(または自動判別)を指定して、もう一度アップロードしてください。"},
	"csv.bytes.utf8":        {"Bytes %s at byte %d are not valid UTF-8. If the file was saved as Shift_JIS, choose Shift_JIS (CP932) or auto and upload it again; otherwise correct the value.", "%[2]dバイト目のバイト列 %[1]s はUTF-8として正しくありません。Shift_JISで保存したファイルであれば、Shift_JIS(CP932)または自動判別を指定して、もう一度アップロードしてください。そうでなければ値を修正してください。"},
	"csv.name.composed":     {"The name %s is written decomposed here (as macOS may save text: a letter and its voiced mark as two characters); it is read as the same name written composed (Unicode NFC), as meibo keeps names.", "名前「%s」はこのファイルでは分解された形(macOSが保存することがある、文字と濁点などが別の文字になった形)で書かれています。meiboが名前を保存する形(Unicode NFC、合成済みの形)の同じ名前として読み込みます。"},
	"csv.bytes.replacement": {"The replacement character U+FFFD (\uFFFD) at byte %d shows that this value was damaged before the file was saved (a character could not be converted). Type the value again.", "%dバイト目の置換文字 U+FFFD(\uFFFD)は、ファイルの保存前に値が壊れていた(文字を変換できなかった)ことを示します。値を入力し直してください。"},
	"csv.bytes.unknown":     {"The value holds bytes that are not valid %s. Correct the value, or choose the file's encoding and upload it again.", "値に%sとして正しくないバイトが含まれています。値を修正するか、ファイルの文字コードを指定して、もう一度アップロードしてください。"},

	// Values.
	"csv.personal.username.required": {"UserName is blank: give the user ID.", "UserName が空です。ユーザーIDを指定してください。"},
	"csv.personal.password.required": {"A password is required: Password is blank.", "パスワードは必須です。Password が空です。"},
	"csv.personal.passcode":          {"Passcode is not used and was ignored; leave it blank.", "Passcode は使用しないため無視しました。空欄にしてください。"},
	"csv.password.spaces":            {"The password begins or ends with a space. A password is never trimmed: delete the space, or if it belongs to the password, set that password in the console.", "パスワードの先頭または末尾に空白があります。パスワードは自動では整えません。空白を削除するか、空白を含むパスワードであれば管理画面で設定してください。"},
	"csv.bool":                       {"%q is not true or false. Write true or false (1 and 0 work too), or leave it blank for false.", "「%s」は true/false ではありません。true または false(1 と 0 も可)を書くか、false の場合は空欄にしてください。"},
	"csv.duplicate.name":             {"The name %s appears already in row %d; each user may appear only once in a file.", "名前 %s は%d行目にもあります。1つのファイルに同じユーザーは1回だけ書いてください。"},
	"csv.duplicate.username":         {"The UserName %s appears already in row %d; each user may appear only once in a file.", "UserName %s は%d行目にもあります。1つのファイルに同じユーザーは1回だけ書いてください。"},
	"csv.duplicate.admin":            {"The user ID %s appears already in row %d; each administrator may appear only once in a file.", "ユーザーID %s は%d行目にもあります。1つのファイルに同じ管理者は1回だけ書いてください。"},

	// Administrator files.
	"csv.admins.title.columns": {"The first line must be the title line of the administrator format, which has 44 columns; this one has %d. Start the file with the title line of an exported file.", "1行目は管理者形式のタイトル行(44列)でなければなりませんが、%d列です。エクスポートしたファイルのタイトル行から始めてください。"},
	"csv.admins.title.data":    {"The first line looks like an administrator's row, but it must be the title line (which is skipped). Add the title line of an exported file above it.", "1行目が管理者のデータ行のようですが、1行目はタイトル行(読み飛ばされます)でなければなりません。エクスポートしたファイルのタイトル行をその上に追加してください。"},
	"csv.admins.fields":        {"The row has %d values, but the administrator format has 44 columns. Look for a missing or extra comma.", "この行の値は%d個ですが、管理者形式は44列です。カンマの過不足がないか確認してください。"},
	"csv.admins.flag":          {"%q is not a processing flag: use a half-width space (new), U (modify) or D (delete).", "「%s」は処理フラグとして正しくありません。半角スペース(新規)、U(変更)、D(削除)のいずれかにしてください。"},
	"csv.admins.authority":     {"%q is not an authority value: use 1 (granted), or 0 or a half-width space (not granted).", "「%s」は権限の値として正しくありません。1(あり)、0 または半角スペース(なし)にしてください。"},
	"csv.admins.id.required":   {"The user ID is blank: give the administrator's user ID.", "ユーザーIDが空です。管理者のユーザーIDを指定してください。"},

	// Writing files.
	"csv.encode.cp932": {"%s in the %s of %s %s cannot be written in Shift_JIS (CP932). Replace the character, or export as UTF-8.", "%[3]s %[4]s の%[2]sにある %[1]s はShift_JIS(CP932)で書き出せません。文字を置き換えるか、UTF-8で書き出してください。"},
	"csv.encode.utf8":  {"The %s of %s %s is not valid UTF-8 text and cannot be written. Correct the value and export again.", "%[2]s %[3]s の%[1]sは正しいUTF-8のテキストではないため書き出せません。値を修正して、もう一度書き出してください。"},
	"csv.encode.cr":    {"The %s of %s %s holds a carriage return (CR), which the file cannot keep. Remove it and export again.", "%[2]s %[3]s の%[1]sに復帰文字(CR)が含まれており、ファイルに保持できません。削除して、もう一度書き出してください。"},
}
