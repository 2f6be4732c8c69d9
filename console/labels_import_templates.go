package console

import "github.com/meibo/meibo/web"

// The words of the templates on the import page.
func init() {
	web.AddLabels(map[string][2]string{
		"imp.tpl.title":    {"Templates", "テンプレート"},
		"imp.tpl.hint":     {"Start from a template: the header and one example row that imports as it is. Replace the example with your data, keep the header, and upload the file in the same encoding.", "テンプレートから始めてください。見出し行と、そのままインポートできる例の行が1行入っています。例の行を実際のデータに置き換え、見出し行はそのままにして、同じ文字コードでアップロードしてください。"},
		"imp.tpl.download": {"Download a template", "テンプレートをダウンロード"},
		"imp.tpl.label":    {"Download a template of %s in %s", "%sのテンプレートを%sでダウンロード"},
		"imp.tpl.utf8":     {"UTF-8", "UTF-8"},
		"imp.tpl.sjis":     {"Shift_JIS", "Shift_JIS"},
		"imp.tpl.bom":      {"UTF-8 templates start with a byte order mark (BOM) so that Excel opens them as UTF-8.", "UTF-8のテンプレートは、ExcelがUTF-8として開けるようにBOM付きです。"},
		"imp.tpl.docs":     {"Every format, column, rule and message is described in docs/CSV.md in meibo's source repository.", "すべての形式・列・規則・メッセージは、meibo のソースリポジトリの docs/CSV.md に記載されています。"},
	})
}
