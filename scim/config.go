package scim

import (
	"net/http"
	"strings"
)

// handleSPC tells what this service provider supports (RFC 7643 §5).
func (s *Server) handleSPC(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{SchemaSPC},
		"documentationUri": "https://github.com/meibo/meibo#provisioning-from-entra-id-and-okta-scim",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": true, "maxOperations": MaxOperations, "maxPayloadSize": s.maxPayload},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   map[string]any{"supported": true},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A SCIM token of the group, made in the console (the group's SCIM page), through the API or by meibo scim token create",
			"primary":     true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": s.base(r) + "/ServiceProviderConfig"},
	})
}

func resourceTypes(baseURL string) []map[string]any {
	return []map[string]any{
		{"schemas": []string{SchemaRT}, "id": "User", "name": "User", "endpoint": "/Users", "description": "A user of the group",
			"schema": SchemaUser, "schemaExtensions": []any{map[string]any{"schema": SchemaMeibo, "required": false}},
			"meta": map[string]any{"resourceType": "ResourceType", "location": baseURL + "/ResourceTypes/User"}},
		{"schemas": []string{SchemaRT}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "A profile of the group; a user is a member of exactly one",
			"schema":      SchemaGroup, "meta": map[string]any{"resourceType": "ResourceType", "location": baseURL + "/ResourceTypes/Group"}},
	}
}

func (s *Server) handleResourceTypes(w http.ResponseWriter, r *http.Request) {
	rts := resourceTypes(s.base(r))
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaList}, "totalResults": len(rts), "startIndex": 1,
		"itemsPerPage": len(rts), "Resources": rts})
}

func (s *Server) handleResourceType(w http.ResponseWriter, r *http.Request) {
	for _, rt := range resourceTypes(s.base(r)) {
		if strings.EqualFold(rt["id"].(string), r.PathValue("id")) {
			writeJSON(w, http.StatusOK, rt)
			return
		}
	}
	writeError(w, &scimError{status: http.StatusNotFound, detail: "no such resource type"})
}

func attr(name, typ, mutability, returned, uniqueness string, required, caseExact, multi bool, subs ...map[string]any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": multi, "required": required, "caseExact": caseExact,
		"mutability": mutability, "returned": returned, "uniqueness": uniqueness, "description": ""}
	if len(subs) > 0 {
		list := make([]any, len(subs))
		for i, s := range subs {
			list[i] = s
		}
		a["subAttributes"] = list
	}
	return a
}

func schemas(baseURL string) []map[string]any {
	rw, ro, wo := "readWrite", "readOnly", "writeOnly"
	def, never, always := "default", "never", "always"
	emails := attr("emails", "complex", rw, def, "none", false, false, true,
		attr("value", "string", rw, def, "none", false, false, false),
		attr("type", "string", rw, def, "none", false, false, false),
		attr("primary", "boolean", rw, def, "none", false, false, false))
	emails["description"] = "meibo keeps one address: the primary one given, else the one of type work (or of no type), else the first; " +
		"it is returned as the primary address of type work. An address added that is neither primary nor of type work (home, other) is not kept."
	formatted := attr("formatted", "string", ro, def, "none", false, false, false)
	formatted["description"] = "Not kept: built from givenName and familyName, the family name first when either is written in " +
		"Chinese, Japanese or Korean script (山田 太郎), else the given name first (Jane Doe)."
	user := map[string]any{
		"schemas": []string{SchemaSchema}, "id": SchemaUser, "name": "User", "description": "A user of a meibo group",
		"attributes": []any{
			attr("id", "string", ro, always, "server", false, true, false),
			attr("externalId", "string", rw, def, "server", false, true, false),
			// meibo's user names are case-sensitive: unique in the group.
			attr("userName", "string", rw, always, "server", true, true, false),
			attr("name", "complex", rw, def, "none", false, false, false,
				attr("givenName", "string", rw, def, "none", false, false, false),
				attr("familyName", "string", rw, def, "none", false, false, false),
				formatted),
			attr("displayName", "string", rw, def, "none", false, false, false),
			attr("active", "boolean", rw, def, "none", false, false, false),
			attr("password", "string", wo, never, "none", false, true, false),
			emails,
		},
		"meta": map[string]any{"resourceType": "Schema", "location": baseURL + "/Schemas/" + SchemaUser},
	}
	ext := map[string]any{
		"schemas": []string{SchemaSchema}, "id": SchemaMeibo, "name": "MeiboUser", "description": "What meibo keeps of a user beside SCIM's core",
		"attributes": []any{
			attr("admin", "boolean", rw, def, "none", false, false, false),
			attr("apiAccess", "boolean", rw, def, "none", false, false, false),
			attr("profile", "string", rw, def, "none", false, true, false),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": baseURL + "/Schemas/" + SchemaMeibo},
	}
	group := map[string]any{
		"schemas": []string{SchemaSchema}, "id": SchemaGroup, "name": "Group", "description": "A profile of a meibo group",
		"attributes": []any{
			attr("id", "string", ro, always, "server", false, true, false),
			attr("displayName", "string", ro, def, "server", true, true, false),
			attr("members", "complex", rw, def, "none", false, false, true,
				attr("value", "string", "immutable", def, "none", false, true, false),
				attr("display", "string", ro, def, "none", false, false, false),
				attr("$ref", "reference", "immutable", def, "none", false, true, false)),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": baseURL + "/Schemas/" + SchemaGroup},
	}
	return []map[string]any{user, ext, group}
}

func (s *Server) handleSchemas(w http.ResponseWriter, r *http.Request) {
	ss := schemas(s.base(r))
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaList}, "totalResults": len(ss), "startIndex": 1,
		"itemsPerPage": len(ss), "Resources": ss})
}

func (s *Server) handleSchema(w http.ResponseWriter, r *http.Request) {
	for _, sc := range schemas(s.base(r)) {
		if strings.EqualFold(sc["id"].(string), r.PathValue("id")) {
			writeJSON(w, http.StatusOK, sc)
			return
		}
	}
	writeError(w, &scimError{status: http.StatusNotFound, detail: "no such schema"})
}
