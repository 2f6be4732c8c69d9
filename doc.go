// Package meibo is the domain of the meibo user directory: groups, profiles,
// users, administrators and their authorities, devices, commands, import jobs,
// audit events and mail, the rules that keep them valid, and the interfaces
// that storage implements.
//
// This package imports no other package of this module and knows nothing of
// SQL, HTTP or CSV. Storage (store/...), the services (service), the CSV formats
// (csvio) and the web adapters (api, ...) are built around it; cmd/meibo wires
// them together.
package meibo
