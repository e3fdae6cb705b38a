package ocireg

// #include <ocireg.h>
import "C"

// applyCertsOAuth2 sets the certs.d and OAuth2 options of opts on o; str
// calls a string setter with a C copy of its value.
func applyCertsOAuth2(o *C.ocireg_options, opts *Options, str func(string, func(*C.char) C.ocireg_status, string) error) error {
	if opts.CertDir != "" {
		if err := str("CertDir", func(s *C.char) C.ocireg_status { return C.ocireg_options_set_cert_dir(o, s) }, opts.CertDir); err != nil {
			return err
		}
	}
	for _, root := range opts.CertsDRoots {
		if err := str("CertsDRoots", func(s *C.char) C.ocireg_status { return C.ocireg_options_add_certs_d_root(o, s) }, root); err != nil {
			return err
		}
	}
	for _, step := range []struct {
		name string
		do   bool
		f    func() C.ocireg_status
	}{
		{"SystemCertsD", opts.SystemCertsD, func() C.ocireg_status { return C.ocireg_options_use_system_certs_d(o) }},
		{"ForceOAuth2", opts.ForceOAuth2, func() C.ocireg_status { return C.ocireg_options_set_force_oauth2(o, 1) }},
		{"OfflineToken", opts.OfflineToken, func() C.ocireg_status { return C.ocireg_options_set_offline_token(o, 1) }},
	} {
		if step.do {
			if err := call("NewClient: "+step.name, nil, step.f); err != nil {
				return err
			}
		}
	}
	if opts.OAuth2ClientID != "" {
		if err := str("OAuth2ClientID", func(s *C.char) C.ocireg_status { return C.ocireg_options_set_oauth2_client_id(o, s) }, opts.OAuth2ClientID); err != nil {
			return err
		}
	}
	return nil
}
