package meibo

import (
	"context"
	"slices"
)

// Actor kinds.
const (
	ActorAdmin  = "admin"  // a console or API administrator
	ActorUser   = "user"   // a device user in the personal portal
	ActorSystem = "system" // the command line or meibo itself
	ActorDevice = "device" // a device agent
)

// Actor is who is asking: an administrator with their authorities and
// department groups, a portal user, or the system. Services read it from the
// context and decide; adapters only put it there.
type Actor struct {
	Kind        string
	ID          int64
	Name        string
	Addr        string
	Authorities Authorities
	Groups      []string // department groups (AuthDepartment)
	GroupID     string   // a portal user's, a device's or a SCIM token's group, as stored
	GroupAdmin  bool     // a portal user who may see every device of the group
	APIAccess   bool     // a portal user with API access, who may make personal tokens
	Session     string   // the hash of the browser session acting, if any
	SCIMToken   int64    // the SCIM token acting, if any: its ID, in the details of the events it causes
	// MustChangePassword is set for the built-in admin still holding the
	// password printed at the first start (Admin.MustChangePassword).
	MustChangePassword bool
	// Refused, when set, is told of every request of the actor that was
	// refused for want of an authority or for reaching outside its scope
	// (kind "authority" or "scope"), so that it can be audited.
	Refused func(kind, detail string) `json:"-"`
}

// Refuse tells the actor's Refused, if any, of a refused request.
func (a *Actor) Refuse(kind, detail string) {
	if a != nil && a.Refused != nil {
		a.Refused(kind, detail)
	}
}

// System returns the actor for the command line and meibo's own work: every
// authority, no department limit.
func System(name string) *Actor {
	return &Actor{Kind: ActorSystem, Name: name, Authorities: EveryAuthority}
}

// Has reports whether the actor holds authority a. The system holds every
// granting authority.
func (a *Actor) Has(auth Authority) bool {
	if a == nil {
		return false
	}
	return a.Authorities.Has(auth)
}

// Department reports whether the actor is limited to its department groups.
func (a *Actor) Department() bool {
	return a != nil && a.Kind == ActorAdmin && a.Authorities.Has(AuthDepartment)
}

// InScope reports whether the actor may act on group id.
func (a *Actor) InScope(groupID string) bool {
	if a == nil {
		return false
	}
	if !a.Department() {
		return true
	}
	return slices.ContainsFunc(a.Groups, func(g string) bool { return equalFoldASCII(g, groupID) })
}

// Scope returns the groups the actor is limited to, or nil when unlimited.
func (a *Actor) Scope() []string {
	if a.Department() {
		if a.Groups == nil {
			return []string{}
		}
		return a.Groups
	}
	return nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

type actorKey struct{}

// WithActor returns a context carrying actor.
func WithActor(ctx context.Context, actor *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor of ctx, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}
