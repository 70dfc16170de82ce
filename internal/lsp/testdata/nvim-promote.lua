-- Drives gitops-lsp from headless Neovim (0.7 or later): open a file of
-- the hello service, wait for the published diagnostics, apply the
-- "Promote hello to staging-cluster" code action and write the files.
-- Every step appends a line to $GITOPS_RESULT; errors are caught so that
-- Neovim always quits (an uncaught error hangs --headless).
local out = assert(io.open(os.getenv("GITOPS_RESULT"), "w"))
local function say(s)
  out:write(s .. "\n")
  out:flush()
end

local ok, err = pcall(function()
  local root = os.getenv("GITOPS_ROOT")
  local client_id = vim.lsp.start_client({
    name = "gitops",
    cmd = { os.getenv("GITOPS_LSP"), "--log", os.getenv("GITOPS_LOG") },
    root_dir = root,
    init_options = {
      offline = true,
      mirrors = { [os.getenv("GITOPS_BASE_URL")] = os.getenv("GITOPS_MIRROR") },
    },
  })
  if not client_id then
    error("start_client failed")
  end
  vim.cmd("edit " .. root .. "/applications/overlays/dev-cluster/services/fluxcd/hello.yaml")
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(bufnr, client_id)

  local found = vim.wait(90000, function()
    for _, d in ipairs(vim.diagnostic.get()) do
      if d.source == "gitops" and d.message:find("stringData", 1, true) then
        return true
      end
    end
    return false
  end, 50)
  if not found then
    error("no diagnostics published")
  end
  say("diagnostics " .. #vim.diagnostic.get())

  local params = vim.lsp.util.make_range_params()
  params.context = { diagnostics = {} }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 90000)
  local action
  for _, r in pairs(responses or {}) do
    for _, a in ipairs(r.result or {}) do
      if a.title == "Promote hello to staging-cluster" then
        action = a
      end
    end
  end
  if not action then
    error("no promote action: " .. vim.inspect(responses))
  end
  say("action " .. action.title)
  vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
  -- Neovim 0.7 creates files as buffers but not their folders: make
  -- them, as a user does before writing.
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(b)
    if name ~= "" and vim.bo[b].modified then
      vim.fn.mkdir(vim.fn.fnamemodify(name, ":h"), "p")
    end
  end
  vim.cmd("wall")
  say("applied")
end)
if not ok then
  say("error " .. tostring(err))
end
out:close()
vim.cmd("qa!")
