package gitview

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
)

// Origin returns the first URL of the remote "origin", if there is one.
func Origin(repoDir string) (string, bool) {
	repo, err := open(repoDir)
	if err != nil {
		return "", false
	}
	r, err := repo.Remote("origin")
	if err != nil || len(r.Config().URLs) == 0 {
		return "", false
	}
	return r.Config().URLs[0], true
}

// open opens a bare or non-bare repository. The directory itself is tried
// first: with DetectDotGit, go-git looks for ".git" in the parents before
// it considers that repoDir may itself be a bare repository, so a bare
// mirror stored inside another checkout would open the wrong repository.
func open(repoDir string) (*git.Repository, error) {
	repo, err := git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w", repoDir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", repoDir, err)
	}
	return repo, nil
}
