// Log Analytics: the Container Apps environment sends its console and system logs here through a diagnostic setting
// (environment.bicep), which needs no workspace shared key.
@description('Name of the workspace.')
param name string

@description('Location of the workspace.')
param location string

@description('Tags of the workspace.')
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    retentionInDays: 30
    sku: {
      name: 'PerGB2018'
    }
  }
}

@description('Resource id of the workspace.')
output id string = workspace.id
