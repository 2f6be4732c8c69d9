package meibo

import (
	"strconv"
)

// Settings are installation-wide values kept in the database, so that every
// server and command sharing it agrees.
type Settings struct {
	// LicenceLimit is the number of unified users allowed; 0 means no limit.
	LicenceLimit int `json:"licenceLimit"`
	// AdminCSVEncoding is the encoding of administrator CSV files: utf-8 or cp932.
	AdminCSVEncoding string `json:"adminCsvEncoding"`
	// MailLanguage is the language of invitations: en or ja. (A password
	// reset is written in the language of the page it was asked from.)
	MailLanguage Lang `json:"mailLanguage"`
}

// DefaultSettings are the settings of a new installation.
var DefaultSettings = Settings{LicenceLimit: 0, AdminCSVEncoding: "utf-8", MailLanguage: English}

// Setting keys as stored.
const (
	SettingLicenceLimit     = "licence_limit"
	SettingAdminCSVEncoding = "admin_csv_encoding"
	SettingMailLanguage     = "mail_language"
)

// SettingKeys lists the settings in the order they are shown.
var SettingKeys = []string{SettingLicenceLimit, SettingAdminCSVEncoding, SettingMailLanguage}

// Set changes one setting by its stored key, validating the value.
func (s *Settings) Set(key, value string) error {
	switch key {
	case SettingLicenceLimit:
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return FieldError(key, "settings.licence")
		}
		s.LicenceLimit = n
	case SettingAdminCSVEncoding:
		if value != "utf-8" && value != "cp932" {
			return FieldError(key, "settings.encoding")
		}
		s.AdminCSVEncoding = value
	case SettingMailLanguage:
		if value != string(English) && value != string(Japanese) {
			return FieldError(key, "settings.language")
		}
		s.MailLanguage = Lang(value)
	default:
		return FieldError("key", "settings.unknown", key)
	}
	return nil
}

// Map returns the settings by stored key.
func (s Settings) Map() map[string]string {
	return map[string]string{
		SettingLicenceLimit:     strconv.Itoa(s.LicenceLimit),
		SettingAdminCSVEncoding: s.AdminCSVEncoding,
		SettingMailLanguage:     string(s.MailLanguage),
	}
}
