package pgtest

import "syscall"

// procAttr runs a process as cred when it is set; a server gets SIGQUIT (an immediate
// shutdown) when the test binary that started it dies, however it dies.
func procAttr(cred *credential, server bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Credential: cred.sys()}
	if server {
		a.Pdeathsig = syscall.SIGQUIT
	}
	return a
}
