#!/usr/bin/env bash
# Deploys the hub to Azure with one command after `az login` (docs/deploy.md):
#   1. the resource group and infra-bicep/main.bicep (storage, Function App, identity, Key Vault, monitoring);
#   2. the hub's own keys in Key Vault when absent (pseudonym key, contact key, ES256 signing key);
#   3. the package from scripts/publish.sh, deployed to the Function App;
#   4. the webhook URLs to give each provider, and the provider secrets still to set.
# usage: scripts/deploy.sh RESOURCE_GROUP [LOCATION] [-- extra 'az deployment group create' arguments]
#   e.g. scripts/deploy.sh rg-vnchub-prod southeastasia -- --parameters @infra-bicep/prod.parameters.json
set -euo pipefail
cd "$(dirname "$0")/.."
rg=${1:?usage: scripts/deploy.sh RESOURCE_GROUP [LOCATION] [-- az deployment arguments]}
location=${2:-southeastasia}
shift; [[ $# -gt 0 && $1 != "--" ]] && shift
[[ ${1:-} == "--" ]] && shift

command -v az >/dev/null || { echo "the Azure CLI (az) is required"; exit 2; }
az account show -o none 2>/dev/null || { echo "run 'az login' first"; exit 2; }

echo "== resource group $rg ($location)"
az group create -n "$rg" -l "$location" -o none

echo "== infrastructure (infra-bicep/main.bicep)"
deployment="hub-$(date +%Y%m%d%H%M%S)"
# The case database's Entra administrator: the signed-in operator unless the parameters name a group.
admin_args=()
if [[ " $* " != *databaseAdministratorObjectId* ]]; then
  admin_args=(-p databaseAdministratorObjectId="$(az ad signed-in-user show --query id -o tsv)" \
    databaseAdministratorName="$(az ad signed-in-user show --query userPrincipalName -o tsv)" databaseAdministratorType=User)
fi
az deployment group create -g "$rg" -n "$deployment" -f infra-bicep/main.bicep -p location="$location" "${admin_args[@]}" "$@" -o none
out() { az deployment group show -g "$rg" -n "$deployment" --query "properties.outputs.$1.value" -o tsv; }
app=$(out functionAppName)
vault=$(out keyVaultName)

echo "== the hub's own keys in $vault (generated once, never printed)"
me=$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)
if [[ -n $me ]]; then
  # Setting secrets needs a data-plane role; the deployer gets it on this vault only.
  az role assignment create --assignee-object-id "$me" --assignee-principal-type User \
    --role "Key Vault Secrets Officer" --scope "$(az keyvault show -n "$vault" --query id -o tsv)" -o none 2>/dev/null || true
fi
set_if_absent() {
  if ! az keyvault secret show --vault-name "$vault" -n "$1" -o none 2>/dev/null; then
    local file; file=$(mktemp); chmod 600 "$file"; "${@:2}" >"$file"
    az keyvault secret set --vault-name "$vault" -n "$1" --file "$file" -o none
    rm -f "$file"; echo "   set $1"
  fi
}
for attempt in 1 2 3 4 5 6; do   # a new role assignment takes a minute to apply
  if az keyvault secret list --vault-name "$vault" -o none 2>/dev/null; then break; fi
  sleep 20
done
set_if_absent Hub--Privacy--PseudonymKey openssl rand -base64 32
set_if_absent Hub--Privacy--ContactKeys--k1 openssl rand -base64 32
set_if_absent Hub--Signing--Keys--s1 bash -c 'openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt'

echo "== case database: migrations as the Entra administrator, and hub_app for the app's identity"
server=$(out databaseServer); database=$(out databaseName); identity=$(out identityName)
token=$(az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)
admin_user=$(az ad signed-in-user show --query userPrincipalName -o tsv)
Hub__Cases__AdminConnectionString="Host=$server;Database=$database;Username=$admin_user;Password=$token;Ssl Mode=VerifyFull" \
  dotnet run --project functions/Hub.Functions -c Release -- cases migrate --grant "$identity"

echo "== package and deploy to $app"
bash scripts/publish.sh
az functionapp deployment source config-zip -g "$rg" -n "$app" --src artifacts/hub-functions.zip -o none

echo "== provider secrets still to set (az keyvault secret set --vault-name $vault -n NAME --value ...)"
for name in $(out requiredSecrets | tr -d '[]",' ); do
  az keyvault secret show --vault-name "$vault" -n "$name" -o none 2>/dev/null || echo "   $name"
done
echo "   then: az functionapp restart -g $rg -n $app"

echo "== webhook URLs"
az deployment group show -g "$rg" -n "$deployment" --query "properties.outputs.webhooks.value[].{channel:channel, type:type, urls:join(' ', urls)}" -o table
echo "platform API: $(out healthUrl | sed 's#/api/health#/api/platform/v1#')   health: $(out healthUrl)"
