package main

import (
	"fmt"
	"os"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

var importsNoun = &noun{name: "imports", verbs: []verb{
	{name: "list", args: "[--limit N] [--json | --csv]", summary: "list import jobs, newest first", list: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			limit := fs.Int("limit", 20, "jobs to list")
			return func(x *verbRun) error {
				jobs, err := x.c.svc.ImportJobs(x.c.ctx, meibo.ImportFilter{Limit: *limit})
				if err != nil {
					return err
				}
				t := newTable("ID", "STATUS", "FORMAT", "GROUP", "FILE", "ROWS", "CREATED", "UPDATED", "DELETED", "UNCHANGED", "ERRORS", "BY", "AT")
				for _, j := range jobs {
					status := string(j.Status)
					if j.DryRun {
						status += " (dry run)"
					}
					t.add(j.ID, status, j.Format, j.GroupID, j.FileName, j.Rows, j.Created, j.Updated, j.Deleted, j.Unchanged, j.ErrorCount,
						j.CreatedBy, j.CreatedAt.Local().Format(time.DateTime))
				}
				return x.emit(t, jobs)
			}
		}},
	{name: "show", args: "ID [--json] [--lang en|ja]", summary: "show a job with its errors and warnings", setup: func(fs *flagSet) func(*verbRun) error {
		asJSON := fs.Bool("json", false, "print JSON")
		lang := fs.String("lang", "en", "language of messages: en or ja")
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			job, err := x.c.svc.ImportJob(x.c.ctx, id)
			if err != nil {
				return err
			}
			report, err := x.c.svc.Report(x.c.ctx, job, meibo.Lang(*lang))
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(x.env.stdout, struct {
					*meibo.ImportJob
					Errors   []service.ReportMessage `json:"errors"`
					Warnings []service.ReportMessage `json:"warnings"`
				}{job, report.Errors, report.Warnings})
			}
			fmt.Fprintf(x.env.stdout, "format %s, group %s, file %s (%d bytes, sha256 %s), encoding %s→%s, by %s at %s\n",
				job.Format, orDash(job.GroupID), job.FileName, job.Size, job.SHA256, job.Encoding, orDash(job.DetectedEncoding), job.CreatedBy,
				job.CreatedAt.Local().Format(time.DateTime))
			printReport(x.env.stdout, job, report)
			return nil
		}
	}},
	{name: "errors", args: "ID [--lang en|ja]", summary: "write a job's errors and warnings as CSV", setup: func(fs *flagSet) func(*verbRun) error {
		lang := fs.String("lang", "en", "language of messages: en or ja")
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			return x.c.svc.WriteImportErrors(x.c.ctx, id, x.env.stdout, meibo.Lang(*lang))
		}
	}},
	{name: "file", args: "ID [-o FILE]", summary: "write the file a job imported, as kept (passwords removed)", setup: func(fs *flagSet) func(*verbRun) error {
		out := fs.String("o", "", "write to this file instead of standard output")
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			_, data, err := x.c.svc.ImportFile(x.c.ctx, id)
			if err != nil {
				return err
			}
			if *out != "" {
				return os.WriteFile(*out, data, 0o600)
			}
			_, err = x.env.stdout.Write(data)
			return err
		}
	}},
}}
