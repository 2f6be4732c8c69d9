package api

import (
	"net/http"
	"slices"

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
	if v := q.Get("invitation"); v != "" {
		if !slices.Contains(meibo.InvitationStates, meibo.InvitationState(v)) {
			s.writeError(w, r, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "invitation must be pending, accepted, expired or none"))
			return
		}
		f.Invitation = meibo.InvitationState(v)
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
	users, err := s.withIdentities(r, f.GroupID, page.Users)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := map[string]any{"users": users, "hasNext": page.HasNext, "hasPrev": page.HasPrev,
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
	var in struct {
		service.UserInput
		// SendInvitation, when absent, invites a user with an e-mail
		// address and no password (service.ShouldInvite).
		SendInvitation *bool `json:"sendInvitation"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.SendInvitation != nil {
		in.UserInput.SendInvitation = *in.SendInvitation
	} else {
		// Not asked: a disabled user is not invited (one asked for is
		// refused, with the reason).
		in.UserInput.SendInvitation = !in.Disabled && s.svc.ShouldInvite(nil, in.Email, in.Password)
	}
	u, err := s.svc.CreateUser(r.Context(), r.PathValue("group"), in.UserInput)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, user{User: u}) // new: no identity yet
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
	inv, err := s.svc.InvitationOf(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	us, err := s.withIdentities(r, u.GroupID, []*meibo.User{u})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		user
		Invitation meibo.InvitationState `json:"invitation"`
	}{us[0], inv.State})
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
	s.writeUser(w, r, http.StatusOK, u)
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
	// The copy takes the source's profile and flags but for those given;
	// sendInvitation, when absent, invites a copy with an address and no
	// password (service.ShouldInvite).
	var in struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
		service.DuplicateChanges
		SendInvitation *bool `json:"sendInvitation"`
	}
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	invite := s.svc.ShouldInvite(in.SendInvitation, in.Email, in.Password)
	if in.SendInvitation != nil && *in.SendInvitation {
		invite = true // asked for: refused when there is no address
	}
	if invite && in.SendInvitation == nil {
		// Not asked: a copy that is disabled (given so, or as its source
		// is) is not invited.
		disabled := in.Disabled != nil && *in.Disabled
		if in.Disabled == nil {
			src, err := s.svc.User(r.Context(), id)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			disabled = src.Disabled
		}
		invite = !disabled
	}
	u, err := s.svc.DuplicateUserWith(r.Context(), id, service.UserInput{Name: in.Name, Email: in.Email, Password: in.Password,
		SendInvitation: invite}, in.DuplicateChanges)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, user{User: u}) // a copy takes no identity
}

// user is a user as the API answers it: with what an identity provider
// told of it through SCIM (its ID for the user and the parts of the name;
// "" when none), which only the identity provider changes.
type user struct {
	*meibo.User
	ExternalID  string `json:"externalId"`
	DisplayName string `json:"displayName"`
	GivenName   string `json:"givenName"`
	FamilyName  string `json:"familyName"`
}

// withIdentities gives users of group their identities, in one read.
func (s *Server) withIdentities(r *http.Request, group string, users []*meibo.User) ([]user, error) {
	out := make([]user, len(users))
	if len(users) == 0 {
		return out, nil
	}
	ids, err := s.svc.UserIdentities(r.Context(), group, users)
	if err != nil {
		return nil, err
	}
	for i, u := range users {
		id := ids[u.ID]
		out[i] = user{User: u, ExternalID: id.ExternalID, DisplayName: id.DisplayName, GivenName: id.GivenName, FamilyName: id.FamilyName}
	}
	return out, nil
}

// writeUser answers with one user and its identity.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, u *meibo.User) {
	us, err := s.withIdentities(r, u.GroupID, []*meibo.User{u})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, us[0])
}
