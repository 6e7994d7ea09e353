-- Argo CD health of an imanage-operator object, read from the kstatus conditions the operator
-- writes: Ready, Reconciling (work in progress, or a failure it retries), Stalled (a human must
-- act), and status.observedGeneration. Both kinds follow the same contract, so
-- WorkspaceRepository/health.lua is a link to this file.
-- It uses Lua's base library only: argocd-cm runs it without resource.customizations.useOpenLibs.

local function findCondition(conditionType)
  local conditions = {}
  if obj.status ~= nil and obj.status.conditions ~= nil then
    conditions = obj.status.conditions
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function isTrue(condition)
  return condition ~= nil and condition.status == "True"
end

-- The deciding condition's message, or `otherwise` when it has none.
local function messageOf(condition, otherwise)
  if condition ~= nil and condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return otherwise
end

local function health(status, message)
  return { status = status, message = message }
end

if obj.spec ~= nil and obj.spec.suspend == true then
  return health("Suspended", messageOf(findCondition("Suspended"), "spec.suspend is true"))
end

-- Conditions describe the generation in status.observedGeneration (-1 until the operator has
-- seen the object); for any other generation they are stale.
local generation = obj.metadata.generation
local observed = nil
if obj.status ~= nil then
  observed = obj.status.observedGeneration
end
if observed == nil or observed < 0 then
  return health("Progressing", "Waiting for the operator to see generation " .. tostring(generation))
end
if observed ~= generation then
  return health("Progressing", "Waiting for the operator to observe generation " .. tostring(generation) ..
    " (status is for generation " .. tostring(observed) .. ")")
end

local stalled = findCondition("Stalled")
if isTrue(stalled) then
  return health("Degraded", messageOf(stalled, "Stalled"))
end
local reconciling = findCondition("Reconciling")
if isTrue(reconciling) then
  return health("Progressing", messageOf(reconciling, "Reconciling"))
end
local ready = findCondition("Ready")
if ready == nil or ready.status == "Unknown" then
  return health("Progressing", messageOf(ready, "Waiting for the Ready condition"))
end
if ready.status == "False" then
  return health("Degraded", messageOf(ready, "Not Ready"))
end
return health("Healthy", messageOf(ready, "Ready"))
