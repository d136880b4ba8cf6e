package kavach

/*
#include "kavach.h"
*/
import "C"

import "encoding/json"

// The stateless verifiers, for hosts that keep their own storage: no instance, no database.

// VerifyRegistrationResponse verifies a registration response against explicit expectations.
func VerifyRegistrationResponse(opts VerifyRegistrationOptions) (*VerifiedRegistration, error) {
	input, err := json.Marshal(opts)
	if err != nil {
		return nil, &Error{Code: CodeInvalidRequest, Status: 400, Message: "response is not valid JSON"}
	}
	var cs cStrings
	defer cs.free()
	var verified VerifiedRegistration
	err = statelessInto(&verified, func(out **C.char) C.kavach_result {
		return C.kavach_verify_registration_response(cs.add(string(input)), out)
	})
	if err != nil {
		return nil, err
	}
	return &verified, nil
}

// VerifyAuthenticationResponse verifies an authentication response against a stored credential.
func VerifyAuthenticationResponse(opts VerifyAuthenticationOptions) (*VerifiedAuthentication, error) {
	input, err := json.Marshal(opts)
	if err != nil {
		return nil, &Error{Code: CodeInvalidRequest, Status: 400, Message: "response is not valid JSON"}
	}
	var cs cStrings
	defer cs.free()
	var verified VerifiedAuthentication
	err = statelessInto(&verified, func(out **C.char) C.kavach_result {
		return C.kavach_verify_authentication_response(cs.add(string(input)), out)
	})
	if err != nil {
		return nil, err
	}
	return &verified, nil
}
