// The Container Apps environment: internal (reachable only from its virtual network), with a Consumption profile for
// the api silo and a serverless GPU profile for the inference silos. Logs go to Log Analytics through a diagnostic
// setting ('azure-monitor'), which, unlike 'log-analytics', needs no workspace shared key.
@description('Name of the environment.')
param name string

@description('Location of the environment.')
param location string

@description('Tags of the environment.')
param tags object

@description('Resource id of the subnet delegated to Microsoft.App/environments.')
param subnetId string

@description('Resource id of the virtual network (linked to the private DNS zone).')
param vnetId string

@description('Resource id of the Log Analytics workspace.')
param logAnalyticsWorkspaceId string

@description('Serverless GPU workload profile type of the inference silos.')
param gpuProfile string

@description('Name the GPU workload profile gets in the environment.')
param gpuProfileName string

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    vnetConfiguration: {
      infrastructureSubnetId: subnetId
      internal: true
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuProfileName
        workloadProfileType: gpuProfile
      }
    ]
    zoneRedundant: false
  }
}

// Only preview versions of diagnosticSettings have shipped since 2016-09-01 (which predates resource-scoped settings);
// 2021-05-01-preview is the version Azure's documentation and the Orleans Container Apps sample use.
#disable-next-line use-recent-api-versions
resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'container-app-logs'
  scope: environment
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'ContainerAppConsoleLogs'
        enabled: true
      }
      {
        category: 'ContainerAppSystemLogs'
        enabled: true
      }
    ]
  }
}

module dns 'private-dns.bicep' = {
  name: 'private-dns'
  params: {
    zoneName: environment.properties.defaultDomain
    vnetId: vnetId
    staticIp: environment.properties.staticIp
    tags: tags
  }
}

@description('Resource id of the environment.')
output id string = environment.id

@description('The environment static IP: the address every silo advertises.')
output staticIp string = environment.properties.staticIp

@description('The environment default domain.')
output defaultDomain string = environment.properties.defaultDomain
