-- The batch ledger: one row per manifest job (propmail.batch.ledger). Safe to repeat.
IF OBJECT_ID(N'dbo.PropmailBatchJob', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.PropmailBatchJob (
        JobKey NVARCHAR(450) NOT NULL PRIMARY KEY,
        RegionId INT NOT NULL,
        ContentHash NVARCHAR(64) NOT NULL,
        UploadLogId INT NULL,
        State NVARCHAR(16) NOT NULL,
        Attempts INT NOT NULL,
        Error NVARCHAR(MAX) NULL,
        UpdatedAt DATETIME2 NULL,
        Month NVARCHAR(7) NULL,
        ClaimedBy NVARCHAR(200) NULL
    );
END;
-- a ledger made by an earlier version gains the columns it lacks
IF COL_LENGTH(N'dbo.PropmailBatchJob', N'Month') IS NULL
    ALTER TABLE dbo.PropmailBatchJob ADD Month NVARCHAR(7) NULL;
IF COL_LENGTH(N'dbo.PropmailBatchJob', N'ClaimedBy') IS NULL
    ALTER TABLE dbo.PropmailBatchJob ADD ClaimedBy NVARCHAR(200) NULL;
