package main

import (
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// TestJapaneseParentheses: the Japanese text of every page and message
// writes its parentheses one way, half-width as most of it does (有効期間
// (日), 新しいパスワード(確認)), so that pages side by side do not mix
// 有効期間（日） with (確認). This binary links every package that brings
// labels or messages.
func TestJapaneseParentheses(t *testing.T) {
	texts := map[string]string{}
	for k, v := range web.Labels() {
		texts["label "+k] = v[1]
	}
	for _, k := range meibo.MessageKeys() {
		_, ja := meibo.MessageText(k)
		texts["message "+k] = ja
	}
	if len(texts) < 500 {
		t.Fatalf("only %d texts: the labels or messages of some package are not linked", len(texts))
	}
	for k, ja := range texts {
		if strings.ContainsAny(ja, "（）") {
			t.Errorf("%s writes full-width parentheses: %s", k, ja)
		}
	}
}
