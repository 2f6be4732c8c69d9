
// TestDevicePolls: the number of long polls waiting on the server, for
// administrators who see every group.
func TestDevicePolls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDevAPIEnv(t, engine)
		tok, _, err := e.svc.Bootstrap(context.Background(), "Root-pass-phrase-1")
		if err != nil || !tok {
			t.Fatalf("bootstrap: %v", err)
		}
		root, _, err := e.svc.CreateToken(e.sys, meibo.BuiltinAdmin, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "dept", Name: "dept", Groups: []string{"G1"}, Password: "Velvet-summit-88",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthDepartment)}); err != nil {
			t.Fatal(err)
		}
		dept, _, err := e.svc.CreateToken(e.sys, "dept", "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		waiting := func() int {
			var out struct {
				Waiting int `json:"waiting"`
			}
			if s := e.call("GET", "/api/v1/device-polls", root, "", &out); s != http.StatusOK {
				t.Fatalf("device-polls: %d", s)
			}
			return out.Waiting
		}
		if n := waiting(); n != 0 {
			t.Errorf("%d polls wait, want 0", n)
		}
		id, secret := e.enrol("G1", "x")
		done := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/device/v1/checkin?wait=10", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			res.Body.Close()
			done <- res.StatusCode
		}()
		deadline := time.Now().Add(5 * time.Second)
		for waiting() != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the waiting poll is not counted")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := e.svc.SendAdminCommand(e.sys, id, meibo.ActionRing, ""); err != nil {
			t.Fatal(err)
		}
		if s := <-done; s != http.StatusOK {
			t.Errorf("the poll answered %d", s)
		}
		if s := e.call("GET", "/api/v1/device-polls", dept, "", nil); s != http.StatusForbidden {
			t.Errorf("a department administrator asks for every group's polls: %d", s)
		}
		if s := e.call("GET", "/api/v1/device-polls", "", "", nil); s != http.StatusUnauthorized {
			t.Errorf("without a token: %d", s)
		}
	})
}
