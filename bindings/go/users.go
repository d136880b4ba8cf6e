package kavach

/*
#include "kavach.h"
*/
import "C"

// CreateUser creates a user (emails are unique, case-insensitively: USER_EXISTS). name "" means
// none.
func (k *Kavach) CreateUser(email, name string) (*User, error) {
	var cs cStrings
	defer cs.free()
	var user User
	err := k.callInto(&user, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_create_user(p, cs.add(email), cs.optional(name), out)
	})
	if err != nil {
		return nil, err
	}
	return &user, nil
}

// GetUser returns a user by id, or nil (and no error) when there is none.
func (k *Kavach) GetUser(id string) (*User, error) {
	var cs cStrings
	defer cs.free()
	var user *User
	err := k.callInto(&user, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_get_user(p, cs.add(id), out)
	})
	return user, err
}

// FindUserByEmail returns a user by email (case-insensitive), or nil when there is none.
func (k *Kavach) FindUserByEmail(email string) (*User, error) {
	var cs cStrings
	defer cs.free()
	var user *User
	err := k.callInto(&user, func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_find_user_by_email(p, cs.add(email), out)
	})
	return user, err
}

// SetUserHasOtherSignIn tells kavach whether the user can sign in some other way (then they may
// delete their last passkey). USER_NOT_FOUND for an unknown id.
func (k *Kavach) SetUserHasOtherSignIn(userID string, value bool) error {
	var cs cStrings
	defer cs.free()
	_, err := k.call(func(p *C.kavach_t, out **C.char) C.kavach_result {
		return C.kavach_set_user_has_other_sign_in(p, cs.add(userID), C.bool(value), out)
	})
	return err
}
