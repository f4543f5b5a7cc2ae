-- propmail schema for SQL Server 2016 SP1+ (SPEC section 4), installed by `propmail db init`.
--
-- Idempotent and additive: a table that exists is left as it is (the legacy database keeps its
-- own column types), missing tables are created, and the three unique keys the load relies on
-- are added only where no unique index on exactly those columns exists yet, the two indexes
-- under Location's foreign keys (undo) only where no index starts with their column. A MERGE WITH
-- (HOLDLOCK) is only exact under concurrency when such an index backs the match.

IF OBJECT_ID(N'dbo.Region', N'U') IS NULL
CREATE TABLE dbo.Region (
    RegionId INT NOT NULL,
    Name NVARCHAR(255) NULL,
    CONSTRAINT PK_Region PRIMARY KEY CLUSTERED (RegionId)
);
GO

IF OBJECT_ID(N'dbo.ListPriority', N'U') IS NULL
CREATE TABLE dbo.ListPriority (
    ListPriorityId INT IDENTITY(1, 1) NOT NULL,
    Code NVARCHAR(255) NOT NULL,
    Name NVARCHAR(255) NULL,
    PriorityLevel INT NULL,
    ProcessingOrder INT NULL,
    IsAbsentee INT NULL,
    CONSTRAINT PK_ListPriority PRIMARY KEY CLUSTERED (ListPriorityId)
);
GO

IF OBJECT_ID(N'dbo.RegionListFrequency', N'U') IS NULL
CREATE TABLE dbo.RegionListFrequency (
    RegionListFrequencyId INT IDENTITY(1, 1) NOT NULL,
    Frequency INT NULL,
    ListId INT NOT NULL,
    RegionId INT NOT NULL,
    DividedBy INT NULL,
    CONSTRAINT PK_RegionListFrequency PRIMARY KEY CLUSTERED (RegionListFrequencyId),
    CONSTRAINT FK_RegionListFrequency_ListPriority FOREIGN KEY (ListId)
        REFERENCES dbo.ListPriority (ListPriorityId),
    CONSTRAINT FK_RegionListFrequency_Region FOREIGN KEY (RegionId)
        REFERENCES dbo.Region (RegionId)
);
GO

IF OBJECT_ID(N'dbo.Owner', N'U') IS NULL
CREATE TABLE dbo.Owner (
    OwnerId INT IDENTITY(1, 1) NOT NULL,
    Slug NVARCHAR(255) NOT NULL,
    Name NVARCHAR(255) NULL,
    FirstName NVARCHAR(255) NULL,
    LastName NVARCHAR(255) NULL,
    Address1 NVARCHAR(255) NULL,
    Address2 NVARCHAR(255) NULL,
    City NVARCHAR(255) NULL,
    State NVARCHAR(255) NULL,
    Zip NVARCHAR(255) NULL,
    FullAddress NVARCHAR(MAX) NULL,
    IsBusiness BIT NULL,
    AlternateName NVARCHAR(255) NULL,
    DoNotMail NVARCHAR(255) NULL,
    MailingZip4 NVARCHAR(255) NULL,
    MailingCounty NVARCHAR(255) NULL,
    AccuzipRequest NVARCHAR(MAX) NULL,
    AccuzipResponse NVARCHAR(MAX) NULL,
    InsertedDate DATETIME NULL,
    ModifiedDate DATETIME NULL,
    UpdatedDate DATETIME NULL,
    CONSTRAINT PK_Owner PRIMARY KEY CLUSTERED (OwnerId)
);
GO

IF OBJECT_ID(N'dbo.Location', N'U') IS NULL
CREATE TABLE dbo.Location (
    LocationId INT IDENTITY(1, 1) NOT NULL,
    RegionId INT NOT NULL,
    PrimaryId NVARCHAR(255) NOT NULL,
    OwnerId INT NULL,
    ListPriorityId INT NULL,
    PriorityCode NVARCHAR(255) NULL,
    IsOwnerOccupied BIT NULL,
    IsTrust BIT NULL,
    IsChurch BIT NULL,
    IsBusiness BIT NULL,
    OwnerGrantorMatch BIT NULL,
    Address1 NVARCHAR(255) NULL,
    City NVARCHAR(255) NULL,
    State NVARCHAR(255) NULL,
    Zip NVARCHAR(255) NULL,
    County NVARCHAR(255) NULL,
    Neighborhood NVARCHAR(255) NULL,
    Acres FLOAT NULL,
    SellDate DATE NULL,
    SellAmount FLOAT NULL,
    Grantor NVARCHAR(255) NULL,
    EstLoanToValue FLOAT NULL,
    EstEquity FLOAT NULL,
    LienType NVARCHAR(255) NULL,
    BKDate DATE NULL,
    DivorceDate DATE NULL,
    PreFcRecordingDate DATE NULL,
    Vacant NVARCHAR(255) NULL,
    ResponseNCOA NVARCHAR(255) NULL,
    InsertedDate DATETIME NULL,
    ModifiedDate DATETIME NULL,
    UpdatedDate DATETIME NULL,
    CONSTRAINT PK_Location PRIMARY KEY CLUSTERED (LocationId),
    CONSTRAINT FK_Location_Region FOREIGN KEY (RegionId) REFERENCES dbo.Region (RegionId),
    CONSTRAINT FK_Location_Owner FOREIGN KEY (OwnerId) REFERENCES dbo.Owner (OwnerId),
    CONSTRAINT FK_Location_ListPriority FOREIGN KEY (ListPriorityId)
        REFERENCES dbo.ListPriority (ListPriorityId)
);
GO

IF OBJECT_ID(N'dbo.UploadLog', N'U') IS NULL
CREATE TABLE dbo.UploadLog (
    UploadLogId INT IDENTITY(1, 1) NOT NULL,
    RegionId INT NULL,
    FileName NVARCHAR(1024) NULL,
    ProcessingState INT NULL,
    RowsProcessed INT NULL,
    ProcessingStarted DATETIME NULL,
    ProcessingEnded DATETIME NULL,
    ErrorMessage NVARCHAR(MAX) NULL,
    CONSTRAINT PK_UploadLog PRIMARY KEY CLUSTERED (UploadLogId)
);
GO

-- Staging: the rows of one upload, keyed by UploadLogId, filled in bounded chunks (or by bulk
-- copy) and merged once by ProcessPythonEnhancedData, which deletes them in the same
-- transaction. StageRow is the row's position in the upload: the last row of a key wins.
IF OBJECT_ID(N'dbo.PropmailStageOwner', N'U') IS NULL
CREATE TABLE dbo.PropmailStageOwner (
    UploadLogId INT NOT NULL,
    StageRow BIGINT NOT NULL,
    Slug NVARCHAR(255) NULL,
    Name NVARCHAR(255) NULL,
    FirstName NVARCHAR(255) NULL,
    LastName NVARCHAR(255) NULL,
    Address1 NVARCHAR(255) NULL,
    Address2 NVARCHAR(255) NULL,
    City NVARCHAR(255) NULL,
    State NVARCHAR(255) NULL,
    Zip NVARCHAR(255) NULL,
    FullAddress NVARCHAR(MAX) NULL,
    IsBusiness BIT NULL,
    AlternateName NVARCHAR(255) NULL,
    DoNotMail NVARCHAR(255) NULL,
    MailingZip4 NVARCHAR(255) NULL,
    MailingCounty NVARCHAR(255) NULL,
    AccuzipRequest NVARCHAR(MAX) NULL,
    AccuzipResponse NVARCHAR(MAX) NULL,
    KeepStored NVARCHAR(MAX) NULL,
    CONSTRAINT PK_PropmailStageOwner PRIMARY KEY CLUSTERED (UploadLogId, StageRow)
);
GO

IF OBJECT_ID(N'dbo.PropmailStageLocation', N'U') IS NULL
CREATE TABLE dbo.PropmailStageLocation (
    UploadLogId INT NOT NULL,
    StageRow BIGINT NOT NULL,
    PrimaryId NVARCHAR(255) NULL,
    OwnerSlug NVARCHAR(255) NULL,
    PriorityCode NVARCHAR(255) NULL,
    ListPriorityId INT NULL,
    IsOwnerOccupied BIT NULL,
    IsTrust BIT NULL,
    IsChurch BIT NULL,
    IsBusiness BIT NULL,
    OwnerGrantorMatch BIT NULL,
    Address1 NVARCHAR(255) NULL,
    City NVARCHAR(255) NULL,
    State NVARCHAR(255) NULL,
    Zip NVARCHAR(255) NULL,
    County NVARCHAR(255) NULL,
    Neighborhood NVARCHAR(255) NULL,
    Acres FLOAT NULL,
    SellDate DATE NULL,
    SellAmount FLOAT NULL,
    Grantor NVARCHAR(255) NULL,
    EstLoanToValue FLOAT NULL,
    EstEquity FLOAT NULL,
    LienType NVARCHAR(255) NULL,
    BKDate DATE NULL,
    DivorceDate DATE NULL,
    PreFcRecordingDate DATE NULL,
    Vacant NVARCHAR(255) NULL,
    ResponseNCOA NVARCHAR(255) NULL,
    KeepStored NVARCHAR(MAX) NULL,
    CONSTRAINT PK_PropmailStageLocation PRIMARY KEY CLUSTERED (UploadLogId, StageRow)
);
GO

-- a staging table of an earlier install gets the cells a row could not read
IF COL_LENGTH(N'dbo.PropmailStageLocation', N'KeepStored') IS NULL
ALTER TABLE dbo.PropmailStageLocation ADD KeepStored NVARCHAR(MAX) NULL;
GO
IF COL_LENGTH(N'dbo.PropmailStageOwner', N'KeepStored') IS NULL
ALTER TABLE dbo.PropmailStageOwner ADD KeepStored NVARCHAR(MAX) NULL;
GO

-- The unique keys. An existing unique index on exactly these columns (any name, not filtered)
-- is accepted; duplicates already in the table stop the install with a count, not a bare 1505.
IF NOT EXISTS (
    SELECT 1 FROM sys.indexes AS i
    WHERE i.object_id = OBJECT_ID(N'dbo.Owner') AND i.is_unique = 1 AND i.has_filter = 0
      AND (SELECT COUNT(*) FROM sys.index_columns AS ic
           WHERE ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0) = 1
      AND EXISTS (SELECT 1 FROM sys.index_columns AS ic
                  JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
                  WHERE ic.object_id = i.object_id AND ic.index_id = i.index_id
                    AND ic.key_ordinal > 0 AND c.name = N'Slug')
)
BEGIN
    DECLARE @duplicates INT;
    DECLARE @message NVARCHAR(400);
    SELECT @duplicates = COUNT(*) FROM (
        SELECT o.Slug FROM dbo.Owner AS o GROUP BY o.Slug HAVING COUNT(*) > 1
    ) AS d;
    SET @message = CONCAT(N'Owner.Slug has ', @duplicates, N' duplicated values; resolve them before propmail can add the unique index UX_Owner_Slug');
    IF @duplicates > 0
    BEGIN
        THROW 50001, @message, 1;
    END;
    CREATE UNIQUE NONCLUSTERED INDEX UX_Owner_Slug ON dbo.Owner (Slug);
END;
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes AS i
    WHERE i.object_id = OBJECT_ID(N'dbo.Location') AND i.is_unique = 1 AND i.has_filter = 0
      AND (SELECT COUNT(*) FROM sys.index_columns AS ic
           WHERE ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0) = 2
      AND (SELECT COUNT(*) FROM sys.index_columns AS ic
           JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
           WHERE ic.object_id = i.object_id AND ic.index_id = i.index_id
             AND ic.key_ordinal > 0 AND c.name IN (N'PrimaryId', N'RegionId')) = 2
)
BEGIN
    DECLARE @duplicates INT;
    DECLARE @message NVARCHAR(400);
    SELECT @duplicates = COUNT(*) FROM (
        SELECT l.PrimaryId, l.RegionId FROM dbo.Location AS l
        GROUP BY l.PrimaryId, l.RegionId HAVING COUNT(*) > 1
    ) AS d;
    SET @message = CONCAT(N'Location has ', @duplicates, N' duplicated (PrimaryId, RegionId) pairs; resolve them before propmail can add the unique index UX_Location_PrimaryId_RegionId');
    IF @duplicates > 0
    BEGIN
        THROW 50001, @message, 1;
    END;
    CREATE UNIQUE NONCLUSTERED INDEX UX_Location_PrimaryId_RegionId
        ON dbo.Location (PrimaryId, RegionId);
END;
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes AS i
    WHERE i.object_id = OBJECT_ID(N'dbo.ListPriority') AND i.is_unique = 1 AND i.has_filter = 0
      AND (SELECT COUNT(*) FROM sys.index_columns AS ic
           WHERE ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0) = 1
      AND EXISTS (SELECT 1 FROM sys.index_columns AS ic
                  JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
                  WHERE ic.object_id = i.object_id AND ic.index_id = i.index_id
                    AND ic.key_ordinal > 0 AND c.name = N'Code')
)
BEGIN
    DECLARE @duplicates INT;
    DECLARE @message NVARCHAR(400);
    SELECT @duplicates = COUNT(*) FROM (
        SELECT lp.Code FROM dbo.ListPriority AS lp GROUP BY lp.Code HAVING COUNT(*) > 1
    ) AS d;
    SET @message = CONCAT(N'ListPriority.Code has ', @duplicates, N' duplicated values; resolve them before propmail can add the unique index UX_ListPriority_Code');
    IF @duplicates > 0
    BEGIN
        THROW 50001, @message, 1;
    END;
    CREATE UNIQUE NONCLUSTERED INDEX UX_ListPriority_Code ON dbo.ListPriority (Code);
END;
GO

-- What each load was made of (propmail's own table): one row per load that ran (IdenticalTo
-- NULL) and per upload recognised as identical to its region's last load, which loaded
-- nothing (IdenticalTo: that load). Written by propmail after the load commits.
IF OBJECT_ID(N'dbo.PropmailUploadContent', N'U') IS NULL
CREATE TABLE dbo.PropmailUploadContent (
    UploadLogId INT NOT NULL,
    RegionId INT NOT NULL,
    ContentHash NVARCHAR(64) NOT NULL,
    LoadedAt DATETIME2(3) NOT NULL,
    IdenticalTo INT NULL,
    CONSTRAINT PK_PropmailUploadContent PRIMARY KEY CLUSTERED (UploadLogId)
);
GO

-- The indexes under Location's foreign keys. Deleting an owner or a list code (undo) checks
-- that no location refers to it: without these, a scan of Location per row deleted. With the
-- unique keys above they are the one change propmail makes to a legacy table, and only where
-- no index of Location starts with the column already (any name).
IF OBJECT_ID(N'dbo.Location', N'U') IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM sys.indexes AS i
    JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
    JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
    WHERE i.object_id = OBJECT_ID(N'dbo.Location') AND ic.key_ordinal = 1 AND c.name = N'OwnerId'
)
BEGIN
    CREATE NONCLUSTERED INDEX IX_Location_OwnerId ON dbo.Location (OwnerId);
END;
GO

IF OBJECT_ID(N'dbo.Location', N'U') IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM sys.indexes AS i
    JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
    JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
    WHERE i.object_id = OBJECT_ID(N'dbo.Location') AND ic.key_ordinal = 1 AND c.name = N'ListPriorityId'
)
BEGIN
    CREATE NONCLUSTERED INDEX IX_Location_ListPriorityId ON dbo.Location (ListPriorityId);
END;
GO

-- The load journal (propmail's own tables; the legacy tables are not altered): one
-- PropmailJournal row per load that can be undone, the before-image of every row a load
-- rewrote (Inserted = 0) or the key of every row it inserted (Inserted = 1), the list codes
-- it created. Written by ProcessPythonEnhancedData inside its transaction.
IF OBJECT_ID(N'dbo.PropmailJournal', N'U') IS NULL
CREATE TABLE dbo.PropmailJournal (
    UploadLogId INT NOT NULL,
    RegionId INT NOT NULL,
    LoadedAt DATETIME2(3) NOT NULL,
    CONSTRAINT PK_PropmailJournal PRIMARY KEY CLUSTERED (UploadLogId)
);
GO

IF OBJECT_ID(N'dbo.PropmailJournalOwner', N'U') IS NULL
CREATE TABLE dbo.PropmailJournalOwner (
    UploadLogId INT NOT NULL,
    Slug NVARCHAR(255) NOT NULL,
    Inserted SMALLINT NOT NULL,
    OwnerId INT NULL,
    Name NVARCHAR(255) NULL,
    FirstName NVARCHAR(255) NULL,
    LastName NVARCHAR(255) NULL,
    Address1 NVARCHAR(255) NULL,
    Address2 NVARCHAR(255) NULL,
    City NVARCHAR(255) NULL,
    State NVARCHAR(255) NULL,
    Zip NVARCHAR(255) NULL,
    FullAddress NVARCHAR(MAX) NULL,
    IsBusiness BIT NULL,
    AlternateName NVARCHAR(255) NULL,
    DoNotMail NVARCHAR(255) NULL,
    MailingZip4 NVARCHAR(255) NULL,
    MailingCounty NVARCHAR(255) NULL,
    AccuzipRequest NVARCHAR(MAX) NULL,
    AccuzipResponse NVARCHAR(MAX) NULL,
    InsertedDate DATETIME NULL,
    ModifiedDate DATETIME NULL,
    UpdatedDate DATETIME NULL,
    CONSTRAINT PK_PropmailJournalOwner PRIMARY KEY CLUSTERED (UploadLogId, Slug)
);
GO

IF OBJECT_ID(N'dbo.PropmailJournalLocation', N'U') IS NULL
CREATE TABLE dbo.PropmailJournalLocation (
    UploadLogId INT NOT NULL,
    RegionId INT NOT NULL,
    PrimaryId NVARCHAR(255) NOT NULL,
    Inserted SMALLINT NOT NULL,
    LocationId INT NULL,
    OwnerId INT NULL,
    ListPriorityId INT NULL,
    PriorityCode NVARCHAR(255) NULL,
    IsOwnerOccupied BIT NULL,
    IsTrust BIT NULL,
    IsChurch BIT NULL,
    IsBusiness BIT NULL,
    OwnerGrantorMatch BIT NULL,
    Address1 NVARCHAR(255) NULL,
    City NVARCHAR(255) NULL,
    State NVARCHAR(255) NULL,
    Zip NVARCHAR(255) NULL,
    County NVARCHAR(255) NULL,
    Neighborhood NVARCHAR(255) NULL,
    Acres FLOAT NULL,
    SellDate DATE NULL,
    SellAmount FLOAT NULL,
    Grantor NVARCHAR(255) NULL,
    EstLoanToValue FLOAT NULL,
    EstEquity FLOAT NULL,
    LienType NVARCHAR(255) NULL,
    BKDate DATE NULL,
    DivorceDate DATE NULL,
    PreFcRecordingDate DATE NULL,
    Vacant NVARCHAR(255) NULL,
    ResponseNCOA NVARCHAR(255) NULL,
    InsertedDate DATETIME NULL,
    ModifiedDate DATETIME NULL,
    UpdatedDate DATETIME NULL,
    CONSTRAINT PK_PropmailJournalLocation PRIMARY KEY CLUSTERED (UploadLogId, RegionId, PrimaryId)
);
GO

IF OBJECT_ID(N'dbo.PropmailJournalList', N'U') IS NULL
CREATE TABLE dbo.PropmailJournalList (
    UploadLogId INT NOT NULL,
    ListPriorityId INT NOT NULL,
    CONSTRAINT PK_PropmailJournalList PRIMARY KEY CLUSTERED (UploadLogId, ListPriorityId)
);
GO
