package api

import (
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := meibo.UserFilter{GroupID: r.PathValue("group"), Keyword: q.Get("q"), After: q.Get("after"), Before: q.Get("before")}
	var err error
	if f.Disabled, err = queryBool(r, "disabled"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.Admin, err = queryBool(r, "admin"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.Limit, err = queryInt(r, "limit"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.UserOrder, err = userOrder(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if name := q.Get("profile"); name != "" {
		ps, err := s.svc.Profiles(r.Context(), f.GroupID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var found *meibo.Profile
		for _, p := range ps {
			if p.Name == name {
				found = p
			}
		}
		if found == nil {
			s.writeError(w, r, meibo.FieldError("profile", "profile.not_found", name))
			return
		}
		f.ProfileID = &found.ID
	}
	page, err := s.svc.FindUsers(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := map[string]any{"users": page.Users, "hasNext": page.HasNext, "hasPrev": page.HasPrev,
		"sort": page.SortedBy, "order": orderName(page.Desc), "total": page.Total, "totalExact": page.TotalExact}
	if page.Next != "" {
		body["next"] = page.Next
	}
	if page.Prev != "" {
		body["prev"] = page.Prev
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	var in service.UserInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.CreateUser(r.Context(), r.PathValue("group"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.User(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in struct {
		meibo.UserUpdate
		Name *string `json:"name"` // refused unless unchanged: names are immutable
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Name != nil {
		cur, err := s.svc.User(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if *in.Name != cur.Name {
			s.writeError(w, r, meibo.FieldError("name", "user.name.fixed"))
			return
		}
	}
	u, err := s.svc.UpdateUser(r.Context(), id, in.UserUpdate)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.DeleteUser(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUserDuplicate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.DuplicateUser(r.Context(), id, service.UserInput{Name: in.Name, Email: in.Email, Password: in.Password})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}
