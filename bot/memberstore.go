package bot

// Members is the member system the runtime verifies and acts on, for
// surfaces that find members (an agent's search).
func (r *Runtime) Members() MemberStore { return r.members }
