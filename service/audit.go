package service

import (
	"context"

	"github.com/meibo/meibo"
)

// AuditEvents lists audit events for Log Viewer holders. What they see depends
// on their sub-authorities: configuration changes need 23, backup events 25,
// mail events 24; department administrators see only their groups' events.
func (s *Service) AuditEvents(ctx context.Context, f meibo.AuditFilter) ([]*meibo.AuditEvent, error) {
	a, err := require(ctx, meibo.AuthLogViewer)
	if err != nil {
		return nil, err
	}
	visible := auditCategories(a)
	if f.Categories == nil {
		f.Categories = visible
	} else {
		var keep []string
		for _, c := range f.Categories {
			for _, v := range visible {
				if c == v {
					keep = append(keep, c)
				}
			}
		}
		f.Categories = append([]string{}, keep...)
	}
	if scope := a.Scope(); scope != nil {
		f.GroupIDs = scope
	}
	var out []*meibo.AuditEvent
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		out, err = tx.AuditEvents(ctx, f)
		return err
	})
	return out, err
}

// auditCategories are the categories actor a may read.
func auditCategories(a *meibo.Actor) []string {
	cats := []string{meibo.CategoryUser, meibo.CategorySignIn, meibo.CategoryDevice}
	if a.Has(meibo.AuthLogConfig) {
		cats = append(cats, meibo.CategoryConfig)
	}
	if a.Has(meibo.AuthLogMail) {
		cats = append(cats, meibo.CategoryMail)
	}
	if a.Has(meibo.AuthLogBackup) {
		cats = append(cats, meibo.CategoryBackup)
	}
	return cats
}
