#!/usr/bin/env bash
# The Homebrew cask for a release: scripts/cask.sh VERSION SHA256_ARM SHA256_INTEL REPO_URL
# (the release workflow runs it and attaches limabar.rb; copy it into the tap).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 VERSION SHA256_ARM SHA256_INTEL REPO_URL" >&2; exit 2; }
version=$1 arm=$2 intel=$3 repo=$4
cat <<CASK
cask "limabar" do
  arch arm: "aarch64", intel: "x86_64"

  version "$version"
  sha256 arm:   "$arm",
         intel: "$intel"

  url "$repo/releases/download/v#{version}/Limabar_#{version}_#{arch}.dmg"
  name "Limabar"
  desc "Menu-bar app for NixOS dev VMs on Lima"
  homepage "$repo"

  depends_on macos: ">= :ventura"
  depends_on formula: "lima"

  app "Limabar.app"
  binary "#{appdir}/Limabar.app/Contents/MacOS/limabar"

  zap trash: [
    "~/Library/Application Support/dev.limabar.Limabar",
    "~/Library/LaunchAgents/Limabar.plist",
  ]
end
CASK
