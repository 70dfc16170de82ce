;;; emacs-fix.el --- drives gitops-lsp from Emacs eglot in batch mode.
;; Open the overlay kustomization.yaml whose override Secret no HelmRelease
;; reads, wait for the values/override-not-consumed diagnostic, apply the
;; server's "Rename to ..." quick fix, save, and wait for the diagnostic to
;; go.  Every step appends a line to $GITOPS_RESULT; errors are caught so
;; that Emacs always exits.
(require 'package)
(package-initialize)
(require 'yaml-mode)
(require 'eglot)

(defun gitops-say (fmt &rest args)
  (append-to-file (concat (apply #'format fmt args) "\n") nil (getenv "GITOPS_RESULT")))

(defun gitops-wait (pred seconds)
  (let ((deadline (+ (float-time) seconds)) result)
    (while (and (not (setq result (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    result))

(defun gitops-override-diag ()
  (cl-find-if (lambda (d) (string-match-p "values/override-not-consumed" (flymake-diagnostic-text d)))
              (flymake-diagnostics)))

(condition-case err
    (progn
      (add-to-list 'eglot-server-programs
                   `(yaml-mode . (,(getenv "GITOPS_LSP") "--log" ,(getenv "GITOPS_LOG")
                                  :initializationOptions
                                  (:offline t :mirrors (,(intern (concat ":" (getenv "GITOPS_BASE_URL")))
                                                        ,(getenv "GITOPS_MIRROR"))))))
      (setq eglot-sync-connect 30)
      (find-file (concat (getenv "GITOPS_ROOT")
                         "/applications/overlays/staging-cluster/services/gateway-api/kustomization.yaml"))
      (yaml-mode)
      (call-interactively #'eglot)
      (let ((d (gitops-wait #'gitops-override-diag 90)))
        (unless d (error "no values/override-not-consumed diagnostic"))
        (gitops-say "diagnostic %s" (flymake-diagnostic-text d))
        (let* ((actions (eglot-code-actions (flymake-diagnostic-beg d) (flymake-diagnostic-end d)))
               (fix (cl-find-if (lambda (a) (string-prefix-p "Rename to" (plist-get a :title))) actions)))
          (unless fix (error "no Rename quick fix among %S" (mapcar (lambda (a) (plist-get a :title)) actions)))
          (gitops-say "action %s" (plist-get fix :title))
          (eglot--apply-workspace-edit (plist-get fix :edit))
          (save-buffer)))
      (if (gitops-wait (lambda () (not (gitops-override-diag))) 90)
          (gitops-say "fixed")
        (error "the diagnostic stayed after the fix")))
  (error (gitops-say "error %S" err)))
(kill-emacs 0)
