-- Argo CD health check for every orgplane.io kind (argocd-cm-patch.yaml embeds this text once
-- per kind; test/unit/argocd-health.test.ts keeps the copies equal and runs them).
--   Healthy      Ready=True and the controller has seen the current generation
--   Progressing  not reconciled yet, changes being applied, or an account workflow under way
--                (an Account that is still being created is Progressing, never Degraded, so a
--                sync wave waits for it instead of failing)
--   Suspended    paused (orgplane.io/paused), observe-only with changes pending, or a
--                migration that waits for a person's approval
--   Degraded     the spec is invalid or blocked, an AWS write failed, or the account is closed
local hs = { status = "Progressing", message = "Waiting for the orgplane controller" }

local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then return c end
  end
  return nil
end

local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then return c.message end
  return fallback
end

if obj.status == nil or obj.status.conditions == nil then
  return hs
end

local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the controller to observe generation " .. tostring(generation)
  return hs
end

local ready = condition("Ready")
local synced = condition("Synced")
local progressing = condition("Progressing")
local workflow = obj.status.workflow

if synced ~= nil and synced.reason == "Paused" then
  hs.status = "Suspended"
  hs.message = text(synced, "Paused by the orgplane.io/paused annotation")
  return hs
end

if workflow ~= nil and workflow.phase == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = workflow.message or "Account move awaits approval (annotate orgplane.io/approve-migration)"
  return hs
end

-- Recoverable reasons: the controller keeps going on its own.
local retrying = { ChangesPending = true, Throttled = true, RetryableError = true, Deleting = true }

if synced ~= nil and synced.status == "False" then
  if synced.reason == "ObserveOnly" then
    hs.status = "Suspended"
    hs.message = text(synced, "Observe-only mode: changes pending")
    return hs
  end
  if not retrying[synced.reason] then
    hs.status = "Degraded"
    hs.message = (synced.reason or "Error") .. ": " .. text(synced, "reconcile failed")
    return hs
  end
end

if progressing ~= nil and progressing.status == "True" then
  hs.message = text(progressing, "Workflow in progress")
  return hs
end

if ready ~= nil and ready.status == "True" then
  if synced ~= nil and synced.status == "False" then
    hs.message = text(synced, "Applying changes")
    return hs
  end
  hs.status = "Healthy"
  hs.message = text(ready, "Ready")
  return hs
end

if ready ~= nil and ready.status == "False" then
  local state = obj.status.state
  if state == "SUSPENDED" or state == "PENDING_CLOSURE" then
    hs.status = "Degraded"
    hs.message = "Account is " .. state
    return hs
  end
  if ready.reason == "InvalidSpec" then
    hs.status = "Degraded"
    hs.message = "InvalidSpec: " .. text(ready, "the spec is invalid")
    return hs
  end
  hs.message = text(ready, "Not ready yet")
  return hs
end

-- Ready=Unknown (or no Ready condition yet): the controller could not tell; keep waiting.
if ready ~= nil then
  hs.message = "Ready is " .. tostring(ready.status) .. ": " .. text(ready, "no message")
end
return hs
