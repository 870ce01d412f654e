import JSON

print(JSON.object(["placeholder": true]).compact())
